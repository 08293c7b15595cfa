package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// A person managed by portal_partner_user moves into a roster without losing
// access for a moment: an empty roster first (a new roster takes in nobody
// who exists), then the person added to it, which adopts the account, while a
// removed block with destroy = false lets go of the portal_partner_user
// without removing the account. The guide "One resource per person or a
// roster" shows these steps.
func TestAccRoster_moveFromUserResourceKeepsAccess(t *testing.T) {
	a := newAcc(t)
	user := userConfig(`
  email      = "ana@acme.test"
  first_name = "Ana"
  last_name  = "Lima"
  roles      = ["member"]
`)
	person := `"ana@acme.test" = { first_name = "Ana", last_name = "Lima", roles = ["member"] }`
	letGo := `
removed {
  from = portal_partner_user.test
  lifecycle {
    destroy = false
  }
}
`
	var id string
	var version int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + user,
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[userAddr].Primary.ID
					version = a.serverUser(id).Version
					return nil
				},
			},
			{Config: a.provider("") + user + rosterConfig("")},
			{
				Config: a.provider("") + rosterConfig("", person) + letGo,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectPeopleChanged("ana@acme.test"),
					plancheck.ExpectResourceAction(rosterAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraform.State) error {
					if _, still := s.RootModule().Resources[userAddr]; still {
						return fmt.Errorf("%s is still in state", userAddr)
					}
					if got := rosterIDs(s)["ana@acme.test"]; got != id {
						return fmt.Errorf("the roster holds ana as %q, want the account %s", got, id)
					}
					u := a.serverUser(id)
					if u.Status == api.UserDeleted || u.DeletedAt != nil {
						return fmt.Errorf("ana's account was removed on the way: %+v", u)
					}
					if u.Version != version {
						return fmt.Errorf("ana's account changed (version %d, was %d): the move should not touch it", u.Version, version)
					}
					return nil
				},
			},
			// Applied once more, nothing to do.
			{Config: a.provider("") + rosterConfig("", person), PlanOnly: true},
		},
	})
}

// A person of a roster moves to portal_partner_user without losing access:
// taken out of users and listed in release, and imported by email in the
// same apply; the roster lets go of them and removes nobody. Then, with
// exclusive = true, the released person is not taken in to be removed.
// The removal guard is set to refuse any removal at all: letting go of a
// released person removes nobody, so it does not count.
func TestAccRoster_moveToUserResourceKeepsAccess(t *testing.T) {
	a := newAcc(t)
	strict := strings.TrimSuffix(strings.TrimSpace(a.provider("")), "}") + "  removal_guard_min      = 0\n  removal_guard_fraction = 0\n}\n"
	ana := `"ana@acme.test" = { first_name = "Ana", last_name = "Lima", roles = ["member"] }`
	bo := `"bo@acme.test" = { first_name = "Bo", last_name = "Berg", roles = ["manager"] }`
	user := userConfig(`
  email      = "bo@acme.test"
  first_name = "Bo"
  last_name  = "Berg"
  roles      = ["manager"]
`)
	adopt := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", userAddr, "bo@acme.test")
	release := `  release = ["bo@acme.test"]`
	var id string
	var version int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + rosterConfig("", ana, bo),
				Check: func(s *terraform.State) error {
					id = rosterIDs(s)["bo@acme.test"]
					version = a.serverUser(id).Version
					return nil
				},
			},
			{
				Config: strict + rosterConfig(release, ana) + user + adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(rosterAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop),
				}},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[userAddr].Primary.ID; got != id {
						return fmt.Errorf("%s is %q, want bo's account %s", userAddr, got, id)
					}
					if _, still := rosterIDs(s)["bo@acme.test"]; still {
						return fmt.Errorf("bo is still in the roster")
					}
					u := a.serverUser(id)
					if u.Status == api.UserDeleted || u.DeletedAt != nil {
						return fmt.Errorf("bo's account was removed on the way: %+v", u)
					}
					if u.Version != version {
						return fmt.Errorf("bo's account changed (version %d, was %d): the move should not touch it", u.Version, version)
					}
					return nil
				},
			},
			// The import block done with, nothing to do; then an exclusive
			// roster leaves the released person alone (the plan after the
			// apply would otherwise remove bo).
			{Config: strict + rosterConfig(release, ana) + user, PlanOnly: true},
			{
				Config: a.provider("") + rosterConfig(release+"\n  exclusive = true", ana) + user,
				Check: func(*terraform.State) error {
					if u := a.serverUser(id); u.Status == api.UserDeleted {
						return fmt.Errorf("the exclusive roster removed bo, who is released")
					}
					return nil
				},
			},
			// The guard back to its defaults, for the destroy at the end.
			{Config: a.provider("") + rosterConfig(release+"\n  exclusive = true", ana) + user, PlanOnly: true},
		},
	})
}
