package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// resetEvents is how many password resets the audit trail records for the user.
func (a *acc) resetEvents(userID string) int {
	a.t.Helper()
	list, err := a.client.Audit.List(context.Background(), a.PartnerID, api.AuditListOptions{UserID: userID, Action: api.AuditUserPasswordResetSent})
	if err != nil {
		a.t.Fatalf("read the audit trail: %v", err)
	}
	return len(list.Events)
}

// terraform apply -invoke mails the user a reset link, reports where it
// went, records it in the audit trail, and leaves no token in state.
func TestAccPasswordResetAction_invoke(t *testing.T) {
	a := newAcc(t)
	skipBelowTerraform(t, 1, 14)
	providerDir, _ := binaries(t)
	d := newTFDir(t, providerDir, a.provider("")+`
resource "portal_partner_user" "ana" {
  email = "ana@acme.test"
  roles = ["member"]
}

action "portal_password_reset" "ana" {
  config {
    user_id = portal_partner_user.ana.id
  }
}
`)
	if code, out := d.run(t, "apply", "-auto-approve", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	code, out := d.run(t, "apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.portal_password_reset.ana")
	if code != 0 {
		t.Fatalf("apply -invoke: exit %d\n%s", code, out)
	}
	if !regexp.MustCompile(`Action action\.portal_password_reset\.ana.*: Mailed ana@acme\.test a link to choose a new password; it works until 20\d\d-`).MatchString(out) {
		t.Errorf("apply -invoke shows no progress message of the reset:\n%s", out)
	}
	if n := a.mailsOf("ana@acme.test", "password_reset"); n != 1 {
		t.Fatalf("%d reset mails after apply -invoke, want 1", n)
	}
	u := a.userByEmail("ana@acme.test")
	if n := a.resetEvents(u.ID); n != 1 {
		t.Errorf("%d %s audit events, want 1", n, api.AuditUserPasswordResetSent)
	}
	out0, err := a.client.Dev.Outbox(context.Background(), "ana@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(d.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out0.Messages {
		if strings.Contains(string(state), m.Token) || strings.Contains(out, m.Token) {
			t.Errorf("the %s link's token is in the state or the output", m.Kind)
		}
	}
	if code, out := d.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("plan after the reset: exit %d, want 0\n%s", code, out)
	}
}

// A reset the API token may not make fails the plan, before anything is
// mailed: a user ranked at or above the token's role, a token whose role
// the partner's user_admin_min_role keeps from managing users, a removed
// user. One it may make, from an action_trigger, mails the link.
func TestAccPasswordResetAction_rules(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	manager := a.tokenWithRole("manager@acme.test", api.RoleManager)
	peer := a.user("peer@acme.test", api.RoleAdmin)
	member := a.user("member@acme.test", api.RoleMember)
	removed := a.removedUser("gone@acme.test", api.RoleMember)
	config := func(token, userID string) string {
		return a.provider(token) + actionConfig("portal_password_reset", "user_id", strconv.Quote(userID), "after_create", "")
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   actionsNeeded,
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: config(admin, peer.ID), ExpectError: regexp.MustCompile(`User ranks too high for this API token`)},
			{Config: config("", removed.ID), ExpectError: regexp.MustCompile(`(?s)User removed.*Restore it first`)},
			{Config: config("", "ana@acme.test"), ExpectError: regexp.MustCompile(`(?s)is an email address, not the\s+user's id`)},
			{
				PreConfig: func() {
					a.updatePartner(api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleAdmin}})
				},
				Config: config(manager, member.ID), ExpectError: regexp.MustCompile(`(?s)` + summaryUserAdmin + `.*user_admin_min_role`),
			},
			{
				Config: config(admin, member.ID),
				Check: func(*terraform.State) error {
					if n := a.mailsOf("member@acme.test", "password_reset"); n != 1 {
						return fmt.Errorf("%d reset mails to the member, want 1", n)
					}
					for _, email := range []string{"peer@acme.test", "gone@acme.test"} {
						if n := a.mailsOf(email, "password_reset"); n != 0 {
							return fmt.Errorf("%d reset mails to %s, whose reset failed the plan", n, email)
						}
					}
					return nil
				},
			},
		},
	})
}
