package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// A new key replaces a custom role. Deleted first, as Terraform does by
// default, the old role is still held and the portal refuses: the error
// names the holder and says what to do. With create_before_destroy, the
// user moves to the new key before the old role is deleted.
func TestAccRole_keyChangeOfHeldRole(t *testing.T) {
	a := newAcc(t)
	config := func(key, lifecycle string) string {
		return a.provider("") + fmt.Sprintf(`
resource "portal_role" "billing" {
  key         = %[1]q
  name        = "Billing"
  rank        = 30
  permissions = ["data.read"]
%[2]s
}

resource "portal_partner_user" "test" {
  email = "payer@acme.test"
  roles = [portal_role.billing.key]
}
`, key, lifecycle)
	}
	const cbd = "  lifecycle {\n    create_before_destroy = true\n  }"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(s *terraform.State) error {
			return errors.Join(a.checkUsersRemoved(s), a.checkRolesDeleted(s))
		},
		Steps: []resource.TestStep{
			{Config: config("billing", "")},
			{
				Config: config("invoicing", ""),
				ExpectError: regexp.MustCompile(`(?s)Role still in use.*role_in_use.*Held by:\s+payer@acme\.test.*` +
					`lifecycle\s+{\s+create_before_destroy\s+=\s+true\s+}.*move\s+the\s+users\s+to\s+another\s+role`),
			},
			{
				Config: config("invoicing", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("portal_role.billing", plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraform.State) error {
					if u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID); !slices.Equal(u.Roles, []string{"invoicing"}) {
						return fmt.Errorf("user holds %v on the server, want [invoicing]", u.Roles)
					}
					if _, err := a.client.Roles.Get(context.Background(), a.PartnerID, "billing"); !errors.Is(err, client.ErrNotFound) {
						return fmt.Errorf("the old role billing: %w, want it deleted", err)
					}
					return nil
				},
			},
		},
	})
}
