package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// Every resource has an identity (Terraform 1.12+, OpenTofu 1.12+): set on
// create with the partner as resolved from the provider's default, the same
// after an update in place, and enough to import the object with an import
// block's identity alone, planning nothing but the import.
func TestAccIdentity_everyResource(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		// config is the resource (with what it needs) before and after an update in place.
		config func(a *acc, version string) string
		// identity is the identity's attributes other than partner_id, each
		// equal to the state's attribute of the same name.
		identity []string
		// verifyBy is the attribute ImportStateVerify matches states on.
		verifyBy string
		ignore   []string
	}{
		{
			name: "partner_user", addr: userAddr, identity: []string{"id"}, verifyBy: "id", ignore: []string{"restore_if_deleted"},
			config: func(_ *acc, v string) string {
				return userConfig(`  email = "ident@acme.test"
  first_name = "` + v + `"
  roles = ["member"]`)
			},
		},
		{
			name: "partner_invite", addr: inviteAddr, identity: []string{"id"}, verifyBy: "id",
			config: func(_ *acc, v string) string {
				roles := map[string]string{"1": `["member"]`, "2": `["member", "read_only"]`}[v]
				return inviteConfig(`  email = "invited@elsewhere.test"
  roles = ` + roles)
			},
		},
		{
			name: "role_assignment", addr: assignAddr, identity: []string{"user_id", "role"}, verifyBy: "id",
			config: func(a *acc, v string) string {
				// A role assignment is never updated in place; the step
				// "after an update" changes the user it refers to only in name.
				return userConfig(`  email = "held@acme.test"
  first_name = "`+v+`"`) + assignConfig("portal_partner_user.test.id", "read_only")
			},
		},
		{
			name: "role", addr: roleAddr, identity: []string{"key"}, verifyBy: "key",
			config: func(_ *acc, v string) string {
				return roleConfig(`  key = "billing"
  name = "Billing ` + v + `"
  rank = 30
  permissions = ["data.read"]`)
			},
		},
		{
			name: "partner_roster", addr: rosterAddr, identity: nil, verifyBy: "partner_id", ignore: []string{"exclusive"},
			config: func(_ *acc, v string) string {
				return rosterConfig("", `"team@acme.test" = { first_name = "`+v+`", roles = ["member"] }`)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAcc(t)
			attrs := append([]string{"partner_id"}, tc.identity...)
			identity := map[string]knownvalue.Check{"partner_id": knownvalue.StringExact(a.PartnerID)}
			same := map[string]interface {
				AddStateValue(string, tfjsonpath.Path) statecheck.StateCheck
			}{}
			for _, attr := range attrs {
				if attr != "partner_id" {
					identity[attr] = knownvalue.NotNull()
				}
				same[attr] = statecheck.CompareValue(compare.ValuesSame())
			}
			// checks is one step's: the identity, each attribute of it equal to
			// the state's, and the same as in the step before.
			checks := func() []statecheck.StateCheck {
				c := []statecheck.StateCheck{statecheck.ExpectIdentity(tc.addr, identity)}
				for _, attr := range attrs {
					c = append(c, statecheck.ExpectIdentityValueMatchesState(tc.addr, tfjsonpath.New(attr)),
						same[attr].AddStateValue(tc.addr, tfjsonpath.New(attr)))
				}
				return c
			}
			// The provider block sets no partner_id in the resources: the
			// identity's is the default partner, resolved.
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
				Steps: []resource.TestStep{
					{Config: a.provider("") + tc.config(a, "1"), ConfigStateChecks: checks()},
					{Config: a.provider("") + tc.config(a, "2"), ConfigStateChecks: checks()},
					{
						Config: a.provider("") + tc.config(a, "2"), ResourceName: tc.addr,
						ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
					},
					{
						Config: a.provider("") + tc.config(a, "2"), ResourceName: tc.addr,
						ImportState: true, ImportStateVerify: true, ImportStateVerifyIdentifierAttribute: tc.verifyBy,
						ImportStateVerifyIgnore: tc.ignore,
					},
				},
			})
		})
	}
}

// An import block's identity may leave partner_id out: the provider's
// partner is used, and stored in the identity as resolved.
func TestAccIdentity_importWithoutPartner(t *testing.T) {
	a := newAcc(t)
	u := a.createUser(api.UserCreate{Email: "kept@acme.test", FirstName: "Kept", Roles: []string{"member"}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		Steps: []resource.TestStep{{
			Config: a.provider("") + fmt.Sprintf(`
import {
  to       = portal_partner_user.test
  identity = { id = %[1]q }
}
`, u.ID) + userConfig(`  email = "kept@acme.test"
  first_name = "Kept"
  roles = ["member"]`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop)}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectIdentity(userAddr, map[string]knownvalue.Check{"partner_id": knownvalue.StringExact(a.PartnerID), "id": knownvalue.StringExact(u.ID)}),
				stateValue("partner_id", knownvalue.StringExact(a.PartnerID)),
			},
		}},
	})
}
