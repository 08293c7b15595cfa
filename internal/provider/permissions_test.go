package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// permissionSet is a state or plan check of a set of exactly these permissions.
func permissionSet(perms ...string) knownvalue.Check { return roleSet(perms...) }

// A user's permissions are known in the plan that creates the user, in the
// plan that changes their roles (with a custom role created in the same
// plan), and on a roster's people, so a reviewer sees what a role brings.
func TestAccPermissions_knownAtPlan(t *testing.T) {
	a := newAcc(t)
	billing := `
resource "portal_role" "billing" {
  key         = "billing"
  name        = "Billing"
  rank        = 30
  permissions = ["data.read", "data.write", "partner.read"]
}
`
	memberPerms := []string{api.PermDataRead, api.PermDataWrite, api.PermPartnerRead, api.PermRolesRead, api.PermUsersRead}
	managerPerms := append([]string{api.PermAuditRead, api.PermInvitesManage, api.PermUsersManage}, memberPerms...)
	planned := func(addr string, at tfjsonpath.Path, perms ...string) plancheck.PlanCheck {
		return plancheck.ExpectKnownValue(addr, at, permissionSet(perms...))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + userConfig(`
  email = "ana@acme.test"
  roles = ["member"]
`) + rosterConfig("", `"bo@acme.test" = { roles = ["manager"] }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					planned(userAddr, tfjsonpath.New("permissions"), memberPerms...),
					planned(rosterAddr, tfjsonpath.New("users").AtMapKey("bo@acme.test").AtMapKey("permissions"), managerPerms...),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("permissions", permissionSet(memberPerms...)),
					rosterUser("bo@acme.test", "permissions", permissionSet(managerPerms...)),
				},
			},
			{
				// A role change shows what it takes away and what the new
				// role, created in the same plan, brings.
				Config: a.provider("") + billing + userConfig(`
  email = "ana@acme.test"
  roles = [portal_role.billing.key]
`) + rosterConfig("", `"bo@acme.test" = { roles = ["member", portal_role.billing.key] }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
					planned(userAddr, tfjsonpath.New("permissions"), api.PermDataRead, api.PermDataWrite, api.PermPartnerRead),
					planned(rosterAddr, tfjsonpath.New("users").AtMapKey("bo@acme.test").AtMapKey("permissions"), memberPerms...),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("permissions", permissionSet(api.PermDataRead, api.PermDataWrite, api.PermPartnerRead)),
				},
			},
			{
				// Nothing changes: the permissions are as the portal's roles say.
				Config: a.provider("") + billing + userConfig(`
  email = "ana@acme.test"
  roles = [portal_role.billing.key]
`) + rosterConfig("", `"bo@acme.test" = { roles = ["member", portal_role.billing.key] }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
