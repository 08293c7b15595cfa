package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// setUserAdminMinRole changes the partner's user_admin_min_role, as its owner.
func (a *acc) setUserAdminMinRole(role string) {
	a.t.Helper()
	a.updatePartner(api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: role}})
}

// userAdminRefused is the plan error of a change that the partner's
// user_admin_min_role keeps from an admin's token, on the attribute attr.
func userAdminRefused(attr string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)User management not allowed for this API token.*` + attr + `\s+=.*` +
		`user_admin_min_role\s+=\s+"owner".*role\s+admin\s+\(rank\s+80\)`)
}

func TestAccUserAdminMinRole_failsAtPlan(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	someone := a.user("someone@acme.test", api.RoleMember)
	a.setUserAdminMinRole(api.RoleOwner)
	cases := []struct{ name, config, attr string }{
		{"new user", a.provider(admin) + userConfig(fmt.Sprintf(`
  partner_id = %[1]q
  email      = "new@acme.test"`, a.PartnerID)), "partner_id"},
		{"new user with roles", a.provider(admin) + userConfig(fmt.Sprintf(`
  partner_id = %[1]q
  email      = "new@acme.test"
  roles      = ["member"]`, a.PartnerID)), "partner_id"},
		{"role assignment", a.provider(admin) + assignConfig(fmt.Sprintf("%q", someone.ID), api.RoleReadOnly), "role"},
		{"invite", a.provider(admin) + inviteConfig(`
  email = "inv@acme.test"
  roles = ["member"]`), "roles"},
	}
	t.Run("plans", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: protoV6,
					Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: userAdminRefused(c.attr)}},
				})
			})
		}
	})
	list, err := a.client.Users.ListAll(context.Background(), a.PartnerID, api.UserListOptions{})
	if err != nil || len(list) != 3 {
		t.Fatalf("users after refused plans: %d (%v), want 3: the owner, the admin and someone", len(list), err)
	}
}

// A user Terraform already manages: the admin's token may not change it
// once the partner lets only owners manage users, and the plan says so on
// the attribute that would change.
func TestAccUserAdminMinRole_updateFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	config := func(name string) string {
		return userConfig(fmt.Sprintf(`
  email      = "ana@acme.test"
  first_name = %[1]q
  roles      = ["member"]`, name))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{Config: a.provider(admin) + config("Ana")},
			{
				PreConfig:   func() { a.setUserAdminMinRole(api.RoleOwner) },
				Config:      a.provider(admin) + config("Anna"),
				PlanOnly:    true,
				ExpectError: userAdminRefused("first_name"),
			},
			{
				// The owner is above the setting; it also removes the user at the end.
				Config: a.provider("") + config("Anna"),
			},
		},
	})
}

// What the token may not change but the plan leaves alone plans nothing
// and no error: a user and an invite the owner made, planned with an
// admin's token once the partner lets only owners manage users.
func TestAccUserAdminMinRole_unchangedIsNoError(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	config := userConfig(`
  email = "ana@acme.test"
  roles = ["member"]`) + inviteConfig(`
  email = "inv@acme.test"
  roles = ["member"]`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: a.provider("") + config},
			{
				PreConfig: func() { a.setUserAdminMinRole(api.RoleOwner) },
				Config:    a.provider(admin) + config,
				PlanOnly:  true, // fails on any planned change or error
			},
			{PreConfig: func() { a.setUserAdminMinRole(api.RoleManager) }, Config: a.provider("") + config},
		},
	})
}

// A roster that the partner's user_admin_min_role keeps from the token
// fails its plan with one error for the roster, not one per person.
func TestAccUserAdminMinRole_rosterSaysItOnce(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	a.setUserAdminMinRole(api.RoleOwner)
	providerDir, _ := binaries(t)
	tf := newTFDir(t, providerDir, a.provider(admin)+rosterConfig("",
		`"ana@acme.test" = { roles = ["member"] }`, `"bo@acme.test" = { roles = ["member"] }`, `"cy@acme.test" = {}`))
	code, out := tf.run(t, "plan", "-input=false", "-no-color")
	if n := strings.Count(out, "User management not allowed for this API token"); code == 0 || n != 1 {
		t.Fatalf("plan: exit %d with the error %d times, want a failed plan with it once:\n%s", code, n, out)
	}
}
