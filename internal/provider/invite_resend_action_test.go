package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// Actions are Terraform 1.14's; OpenTofu 1.12 has none.
var actionsNeeded = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// actionConfig is an action block of type (such as "portal_invite_resend")
// named x with one attribute set to value, an HCL expression, and a
// terraform_data whose event (such as after_update) runs it; input is the
// terraform_data's input, whose change is an update.
func actionConfig(typ, attr, value, event, input string) string {
	return fmt.Sprintf(`
action %[1]q "x" {
  config {
    %[2]s = %[3]s
  }
}

resource "terraform_data" "trigger" {
  input = %[5]q
  lifecycle {
    action_trigger {
      events  = [%[4]s]
      actions = [action.%[1]s.x]
    }
  }
}
`, typ, attr, value, event, input)
}

// mailsOf is how many mails of the kind the dev outbox holds for the address.
func (a *acc) mailsOf(to, kind string) int {
	a.t.Helper()
	out, err := a.client.Dev.Outbox(context.Background(), to)
	if err != nil {
		a.t.Fatalf("read the outbox: %v", err)
	}
	n := 0
	for _, m := range out.Messages {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

// acceptedInvite invites email outside Terraform and accepts it through the
// mailed link, as the person would.
func (a *acc) acceptedInvite(email string) *api.Invite {
	a.t.Helper()
	ctx := context.Background()
	inv, err := a.client.Invites.Create(ctx, a.PartnerID, api.InviteCreate{Email: email, Roles: []string{api.RoleMember}})
	if err != nil {
		a.t.Fatalf("invite %s by hand: %v", email, err)
	}
	out, err := a.client.Dev.Outbox(ctx, email)
	if err == nil {
		_, err = a.client.Invites.Accept(ctx, api.InviteAccept{Token: out.Messages[len(out.Messages)-1].Token, Password: "correct horse battery"})
	}
	if err != nil {
		a.t.Fatalf("accept the invite of %s: %v", email, err)
	}
	return inv
}

// sendCount is the invite's send_count as the portal has it.
func (a *acc) sendCount(id string) int64 {
	a.t.Helper()
	inv, err := a.client.Invites.Get(context.Background(), a.PartnerID, id)
	if err != nil {
		a.t.Fatalf("read invite %s: %v", id, err)
	}
	return inv.SendCount
}

// terraform apply -invoke resends the invitation and reports it; the
// portal_partner_invite stays as it is (a plan after is empty), and an
// accepted invitation fails the plan with what to do instead.
func TestAccInviteResendAction_invoke(t *testing.T) {
	a := newAcc(t)
	skipBelowTerraform(t, 1, 14)
	providerDir, _ := binaries(t)
	accepted := a.acceptedInvite("joined@acme.test")
	d := newTFDir(t, providerDir, a.provider("")+fmt.Sprintf(`
resource "portal_partner_invite" "guest" {
  email = "guest@acme.test"
  roles = ["member"]
}

action "portal_invite_resend" "guest" {
  config {
    invite_id = portal_partner_invite.guest.id
  }
}

action "portal_invite_resend" "accepted" {
  config {
    invite_id  = %[1]q
    partner_id = %[2]q
  }
}
`, accepted.ID, a.PartnerID))
	if code, out := d.run(t, "apply", "-auto-approve", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if n := a.mailsOf("guest@acme.test", "invite"); n != 1 {
		t.Fatalf("%d invitations mailed by the apply, want 1 (an action runs only when invoked or triggered)", n)
	}
	code, out := d.run(t, "apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.portal_invite_resend.guest")
	if code != 0 {
		t.Fatalf("apply -invoke: exit %d\n%s", code, out)
	}
	if !regexp.MustCompile(`Action action\.portal_invite_resend\.guest.*: Sent invitation inv_\S+ to guest@acme\.test again \(send 2\)`).MatchString(out) {
		t.Errorf("apply -invoke shows no progress message of the resend:\n%s", out)
	}
	if n := a.mailsOf("guest@acme.test", "invite"); n != 2 {
		t.Fatalf("%d invitations mailed after apply -invoke, want 2", n)
	}
	if code, out := d.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("plan after the resend: exit %d, want 0 (the invite is neither replaced nor changed)\n%s", code, out)
	}

	code, out = d.run(t, "apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.portal_invite_resend.accepted")
	if code == 0 || !strings.Contains(out, "Invitation cannot be resent") || !strings.Contains(out, "portal_password_reset") {
		t.Fatalf("apply -invoke of an accepted invitation: exit %d; want a failure that says it cannot be resent and what to use instead\n%s", code, out)
	}
	if n := a.mailsOf("joined@acme.test", "invite"); n != 1 {
		t.Errorf("%d invitations mailed to the person who accepted, want 1", n)
	}

	// Revoked by hand between the plan and its apply: the invoke fails
	// with the portal's answer and what to do instead.
	if code, out := d.run(t, "plan", "-input=false", "-no-color", "-invoke=action.portal_invite_resend.guest", "-out=resend.tfplan"); code != 0 {
		t.Fatalf("plan -invoke: exit %d\n%s", code, out)
	}
	pending, err := a.client.Invites.List(context.Background(), a.PartnerID, api.InviteListOptions{Email: "guest@acme.test"})
	if err != nil || len(pending.Invites) != 1 {
		t.Fatalf("the guest's invitation: %v %+v", err, pending)
	}
	if _, err := a.client.Invites.Revoke(context.Background(), a.PartnerID, pending.Invites[0].ID); err != nil {
		t.Fatal(err)
	}
	code, out = d.run(t, "apply", "-input=false", "-no-color", "resend.tfplan")
	if code == 0 || !strings.Contains(out, "invite_not_pending") || !strings.Contains(out, "create a new portal_partner_invite") {
		t.Fatalf("apply of the saved resend after a revoke: exit %d; want the portal's invite_not_pending and what to do\n%s", code, out)
	}
}

// An action_trigger resends when its resource changes, and only then; the
// invite's send_count follows on refresh without planning a change.
func TestAccInviteResendAction_trigger(t *testing.T) {
	a := newAcc(t)
	const email = "reminded@acme.test"
	step := func(round string, sends int64) resource.TestStep {
		return resource.TestStep{
			Config: a.provider("") + inviteConfig(fmt.Sprintf(`
  email = %q
  roles = ["member"]`, email)) +
				actionConfig("portal_invite_resend", "invite_id", "portal_partner_invite.test.id", "after_update", round),
			Check: func(s *terraform.State) error {
				if got := a.sendCount(s.RootModule().Resources[inviteAddr].Primary.ID); got != sends {
					return fmt.Errorf("send_count %d in the portal, want %d", got, sends)
				}
				if got := a.mailsOf(email, "invite"); int64(got) != sends {
					return fmt.Errorf("%d invitations mailed, want %d", got, sends)
				}
				return nil
			},
		}
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   actionsNeeded,
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			step("first", 1), // created: after_update does not fire
			step("second", 2),
			func() resource.TestStep {
				s := step("second", 2) // nothing changes: nothing is sent, and the refresh reads the count
				s.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}
				s.ConfigStateChecks = []statecheck.StateCheck{inviteValue("send_count", knownvalue.Int64Exact(2))}
				return s
			}(),
		},
	})
}

// Ids of the wrong shape fail at plan time on the attribute; an unknown
// invitation fails the plan too.
func TestAccInviteResendAction_badID(t *testing.T) {
	a := newAcc(t)
	config := func(id string) string {
		return a.provider("") + actionConfig("portal_invite_resend", "invite_id", strconv.Quote(id), "before_create", "")
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   actionsNeeded,
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: config("guest@acme.test"), ExpectError: regexp.MustCompile(`(?s)invite_id.*is an email address, not the\s+invite's id`)},
			{Config: config(a.PartnerID + "/inv_1"), ExpectError: regexp.MustCompile(`(?s)give the id alone, and the partner in\s+partner_id`)},
			{Config: config("inv_missing"), ExpectError: regexp.MustCompile(`(?s)Invitation not found.*no invitation\s+inv_missing`)},
		},
	})
}
