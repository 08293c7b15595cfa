package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

const roleAddr = "portal_role.test"

// roleConfig is a portal_role "test" with the given body.
func roleConfig(body string) string {
	return fmt.Sprintf(`
resource "portal_role" "test" {
%s
}
`, body)
}

func roleValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New(attr), v)
}

// serverRole reads a role from the portal, failing the test on error.
func (a *acc) serverRole(key string) *api.Role {
	a.t.Helper()
	ro, err := a.client.Roles.Get(context.Background(), a.PartnerID, key)
	if err != nil {
		a.t.Fatalf("read role %s: %v", key, err)
	}
	return ro
}

// checkRolesDeleted is a CheckDestroy: every portal_role that was in state
// is gone from the server.
func (a *acc) checkRolesDeleted(s *terraform.State) error {
	for _, rs := range s.RootModule().Resources {
		if rs.Type != "portal_role" {
			continue
		}
		_, err := a.client.Roles.Get(context.Background(), rs.Primary.Attributes["partner_id"], rs.Primary.Attributes["key"])
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("role %s still exists after destroy", rs.Primary.Attributes["key"])
	}
	return nil
}

func TestAccRole_lifecycleAndImport(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkRolesDeleted,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + roleConfig(`
  key         = "billing"
  name        = "Billing"
  rank        = 30
  permissions = ["partner.read", "data.write", "data.read"]
`),
				ConfigStateChecks: []statecheck.StateCheck{
					roleValue("id", knownvalue.StringExact("billing")),
					roleValue("key", knownvalue.StringExact("billing")),
					roleValue("partner_id", knownvalue.StringExact(a.PartnerID)),
					roleValue("rank", knownvalue.Int64Exact(30)),
					roleValue("description", knownvalue.StringExact("")),
					roleValue("permissions", roleSet("data.read", "data.write", "partner.read")),
				},
				Check: func(*terraform.State) error {
					ro := a.serverRole("billing")
					if ro.BuiltIn || ro.Name != "Billing" || ro.Rank != 30 || !slices.Equal(ro.Permissions, []string{"data.read", "data.write", "partner.read"}) {
						return fmt.Errorf("server holds %+v", ro)
					}
					return nil
				},
			},
			{
				// Name, description, rank and permissions change in place.
				Config: a.provider("") + roleConfig(`
  key         = "billing"
  name        = "Billing and invoices"
  description = "Invoices and the people who pay them."
  rank        = 35
  permissions = ["users.read", "partner.read", "data.read"]
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					roleValue("name", knownvalue.StringExact("Billing and invoices")),
					roleValue("rank", knownvalue.Int64Exact(35)),
					roleValue("permissions", roleSet("data.read", "partner.read", "users.read")),
				},
				Check: func(*terraform.State) error {
					ro := a.serverRole("billing")
					if ro.Name != "Billing and invoices" || ro.Rank != 35 || ro.Description != "Invoices and the people who pay them." ||
						!slices.Equal(ro.Permissions, []string{"data.read", "partner.read", "users.read"}) || ro.Version < 2 {
						return fmt.Errorf("server holds %+v", ro)
					}
					return nil
				},
			},
			{
				ResourceName:      roleAddr,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     "billing",
			},
			{
				ResourceName:      roleAddr,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     a.PartnerID + "/billing",
			},
			{
				ResourceName:    roleAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "billing",
			},
			{
				// A new key is a new role: the old one is deleted.
				Config: a.provider("") + roleConfig(`
  key         = "invoicing"
  name        = "Billing and invoices"
  rank        = 35
  permissions = ["users.read", "partner.read", "data.read"]
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("id"), knownvalue.StringExact("invoicing")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{roleValue("id", knownvalue.StringExact("invoicing"))},
				Check: func(*terraform.State) error {
					if _, err := a.client.Roles.Get(context.Background(), a.PartnerID, "billing"); !errors.Is(err, client.ErrNotFound) {
						return fmt.Errorf("old role billing after replace: %w, want not found", err)
					}
					if ro := a.serverRole("invoicing"); ro.Rank != 35 || ro.Description != "" {
						return fmt.Errorf("server holds %+v", ro)
					}
					return nil
				},
			},
		},
	})
}

func TestAccRole_heldByPartnerUser(t *testing.T) {
	a := newAcc(t)
	config := func(roles string) string {
		return a.provider("") + fmt.Sprintf(`
resource "portal_role" "billing" {
  key         = "billing"
  name        = "Billing"
  rank        = 30
  permissions = ["data.read", "data.write", "partner.read"]
}

resource "portal_partner_user" "test" {
  email = "payer@acme.test"
  roles = [%s]
}
`, roles)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(s *terraform.State) error {
			return errors.Join(a.checkUsersRemoved(s), a.checkRolesDeleted(s))
		},
		Steps: []resource.TestStep{
			{
				// The role is created first and the user's plan-time role
				// check accepts it although it does not exist yet.
				Config:            config("portal_role.billing.key"),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet("billing"))},
				Check: func(s *terraform.State) error {
					u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID)
					if !slices.Equal(u.Roles, []string{"billing"}) {
						return fmt.Errorf("user holds roles %v on the server, want [billing]", u.Roles)
					}
					return nil
				},
			},
		},
	})
}

func TestAccRole_disappears(t *testing.T) {
	a := newAcc(t)
	config := a.provider("") + roleConfig(`
  key         = "support"
  name        = "Support"
  rank        = 25
  permissions = ["users.read"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkRolesDeleted,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					// Deleted in the portal right after apply: the refresh drops it.
					return a.client.Roles.Delete(context.Background(), a.PartnerID, "support", 0)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error {
					if ro := a.serverRole("support"); ro.Rank != 25 {
						return fmt.Errorf("server holds %+v", ro)
					}
					return nil
				},
			},
		},
	})
}

func TestAccRole_driftIsPlannedBack(t *testing.T) {
	a := newAcc(t)
	config := a.provider("") + roleConfig(`
  key         = "auditor"
  name        = "Auditor"
  rank        = 50
  permissions = ["audit.read", "users.read"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkRolesDeleted,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					perms := []string{"audit.read", "users.manage", "users.read"}
					if _, err := a.client.Roles.Update(context.Background(), a.PartnerID, "auditor", api.RoleUpdate{Permissions: &perms}, 0); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("permissions"), roleSet("audit.read", "users.read")),
				}},
				Check: func(*terraform.State) error {
					if ro := a.serverRole("auditor"); !slices.Equal(ro.Permissions, []string{"audit.read", "users.read"}) {
						return fmt.Errorf("after apply the server holds permissions %v", ro.Permissions)
					}
					return nil
				},
			},
		},
	})
}

func TestAccRole_inUseIsNotDeleted(t *testing.T) {
	a := newAcc(t)
	config := a.provider("") + roleConfig(`
  key         = "helpdesk"
  name        = "Helpdesk"
  rank        = 20
  permissions = ["users.read"]
`)
	var holder *api.User
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkRolesDeleted,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					holder = a.user("desk@acme.test", "helpdesk") // granted by hand
					return nil
				},
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Role still in use.*role_in_use.*revoke\s+it\s+from\s+them\s+first.*desk@acme\.test`),
			},
			{
				// Revoked by hand: the role stays as configured, and the final destroy deletes it.
				PreConfig: func() {
					if err := a.client.Grants.Revoke(context.Background(), a.PartnerID, holder.ID, "helpdesk"); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

func TestAccRole_badInputFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	role := func(key string, rank int, perms string) string {
		return roleConfig(fmt.Sprintf(`
  key         = %[1]q
  name        = "Some role"
  rank        = %[2]d
  permissions = [%[3]s]`, key, rank, perms))
	}
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"edit without view", a.provider("") + role("ops", 30, `"users.manage", "data.read"`),
			`(?s)Edit\s+permission\s+without.*users\.manage\s+requires\s+users\.read`},
		{"rank not below the token's", a.provider(admin) + role("ops", 80, `"data.read"`),
			`rank\s+80\s+is\s+not\s+below\s+the\s+rank\s+of\s+this\s+token's\s+role\s+admin\s+\(80\)`},
		{"permission the token lacks", a.provider(admin) + role("ops", 50, `"tokens.manage"`),
			`(?s)role\s+admin\s+does\s+not\s+hold\s+tokens\.manage`},
		{"built-in key", a.provider("") + role("manager", 30, `"data.read"`),
			`"manager"\s+is\s+the\s+key\s+of\s+a\s+built-in\s+role`},
		{"unknown permission", a.provider("") + role("ops", 30, `"data.read", "data.delete"`),
			`(?s)permissions.*"data\.delete".*must\s+be\s+one\s+of`},
		{"rank out of range", a.provider("") + role("ops", 100, `"data.read"`),
			`(?s)rank.*must\s+be\s+between\s+1\s+and\s+99`},
		{"key", a.provider("") + role("Ops Team", 30, `"data.read"`), `not\s+a\s+role\s+key`},
		{"control character in the description", a.provider("") + role("ops", 30, `"data.read"`) + `
resource "portal_role" "other" {
  key         = "other"
  name        = "Other"
  description = "line one\nline two"
  rank        = 30
  permissions = ["data.read"]
}`, `(?s)description.*control\s+character\s+U\+000A`},
	}
	// The group returns once its parallel cases are done, so the check below follows them.
	t.Run("plans", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: protoV6,
					Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)}},
				})
			})
		}
	})
	// Nothing reached the server: the partner has only its built-in roles.
	roles, err := a.client.Roles.ListAll(context.Background(), a.PartnerID)
	if err != nil || len(roles) != len(api.BuiltinRoles) {
		t.Fatalf("roles after refused plans: %d (%v), want %d", len(roles), err, len(api.BuiltinRoles))
	}
}
