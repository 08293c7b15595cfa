package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const inviteAddr = "portal_partner_invite.test"

func inviteConfig(body string) string {
	return fmt.Sprintf("\nresource \"portal_partner_invite\" \"test\" {\n%s\n}\n", body)
}

func inviteValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(inviteAddr, tfjsonpath.New(attr), v)
}

func expectInviteAction(action plancheck.ResourceActionType) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(inviteAddr, action)}}
}

// accept follows the newest link mailed to email, as the invited person would.
func (a *acc) accept(email string) *api.User {
	a.t.Helper()
	ctx := context.Background()
	out, err := a.client.Dev.Outbox(ctx, email)
	if err != nil || len(out.Messages) == 0 {
		a.t.Fatalf("no invitation mailed to %s (%v)", email, err)
	}
	u, err := a.client.Invites.Accept(ctx, api.InviteAccept{Token: out.Messages[len(out.Messages)-1].Token, Password: "correct horse battery"})
	if err != nil {
		a.t.Fatalf("accept the invitation to %s: %v", email, err)
	}
	return u
}

// advance moves the portal's test clock forward.
func (a *acc) advance(d time.Duration) {
	a.t.Helper()
	if _, err := a.client.Dev.AdvanceClock(context.Background(), d); err != nil {
		a.t.Fatalf("advance the test clock: %v", err)
	}
}

func (a *acc) inviteID(s *terraform.State) string {
	return s.RootModule().Resources[inviteAddr].Primary.ID
}

func TestAccInvite_acceptanceIsNotDrift(t *testing.T) {
	a := newAcc(t)
	var accepted *api.User
	config := a.provider("") + inviteConfig(`
  email = "Nia@Acme.test"
  roles = ["member"]`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(*terraform.State) error {
			// Destroying an accepted invite leaves its user in place.
			if u := a.serverUser(accepted.ID); u.Status != api.UserActive {
				return fmt.Errorf("the accepted user is %s after destroy, want active", u.Status)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					inviteValue("status", knownvalue.StringExact(api.InvitePending)),
					inviteValue("send_count", knownvalue.Int64Exact(1)),
					inviteValue("user_id", knownvalue.Null()),
					inviteValue("responded_at", knownvalue.Null()),
					inviteValue("lifetime", knownvalue.StringExact("168h")),
					inviteValue("on_expiry", knownvalue.StringExact(onExpiryReinvite)),
				},
			},
			{ResourceName: inviteAddr, ImportState: true, ImportStateVerify: true},
			{
				PreConfig: func() { accepted = a.accept("nia@acme.test") },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					inviteValue("status", knownvalue.StringExact(api.InviteAccepted)),
					inviteValue("user_id", knownvalue.StringRegexp(regexp.MustCompile(`^usr_`))),
					inviteValue("responded_at", knownvalue.NotNull()),
				},
			},
			{
				// Roles of an accepted invite belong to the user: a change only updates the record.
				Config: a.provider("") + inviteConfig(`
  email = "nia@acme.test"
  roles = ["member", "read_only"]`),
				Check: func(*terraform.State) error {
					if u := a.serverUser(accepted.ID); !slices.Equal(u.Roles, []string{"member"}) {
						return fmt.Errorf("accepted user's roles became %v", u.Roles)
					}
					return nil
				},
			},
			{
				// After acceptance the record keeps the configuration's roles
				// (state only), while the portal keeps those sent: by design.
				ResourceName: inviteAddr, ImportState: true, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"roles"},
			},
		},
	})
}

func TestAccInvite_onExpiry(t *testing.T) {
	cases := []struct {
		mode  string
		check func(a *acc) resource.TestStep
	}{
		{onExpiryReinvite, func(a *acc) resource.TestStep {
			return resource.TestStep{
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(inviteAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(inviteAddr, tfjsonpath.New("status"), knownvalue.StringExact(api.InvitePending)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					inviteValue("status", knownvalue.StringExact(api.InvitePending)),
					inviteValue("send_count", knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error {
					a.accept("late@acme.test") // the new link works
					return nil
				},
			}
		}},
		{onExpiryKeep, func(*acc) resource.TestStep {
			return resource.TestStep{
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{inviteValue("status", knownvalue.StringExact(api.InviteExpired))},
			}
		}},
		{onExpiryFail, func(*acc) resource.TestStep {
			return resource.TestStep{ExpectError: regexp.MustCompile(`(?s)Invitation expired.*late@acme.test.*expired\s+unanswered`)}
		}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			a := newAcc(t)
			config := a.provider("") + inviteConfig(fmt.Sprintf(`
  email     = "late@acme.test"
  lifetime  = "1h"
  on_expiry = %q`, c.mode))
			expired := c.check(a)
			expired.PreConfig = func() { a.advance(2 * time.Hour) }
			expired.Config = config
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps: []resource.TestStep{
					{Config: config, ConfigStateChecks: []statecheck.StateCheck{inviteValue("status", knownvalue.StringExact(api.InvitePending))}},
					expired,
				},
			})
		})
	}
}

func TestAccInvite_resendTriggersAndRolesUpdateInPlace(t *testing.T) {
	a := newAcc(t)
	var id string
	// config is the invite with these roles and this resend trigger.
	config := func(roles, reminder string) string {
		return a.provider("") + inviteConfig(fmt.Sprintf(`
  email           = "again@acme.test"
  roles           = %[1]s
  access_duration = "720h"
  resend_triggers = { reminder = %[2]q }`, roles, reminder))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: config(`["member"]`, "1"),
				Check:  func(s *terraform.State) error { id = a.inviteID(s); return nil },
			},
			{
				Config:            config(`["member", "read_only"]`, "1"),
				ConfigPlanChecks:  expectInviteAction(plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{inviteValue("send_count", knownvalue.Int64Exact(1))},
				Check: func(*terraform.State) error {
					inv, err := a.client.Invites.Get(context.Background(), a.PartnerID, id)
					if err != nil || !slices.Equal(inv.Roles, []string{"member", "read_only"}) || inv.AccessDurationSeconds != 720*3600 {
						return fmt.Errorf("server invite %+v (%w)", inv, err)
					}
					return nil
				},
			},
			{
				Config:           config(`["member", "read_only"]`, "2"),
				ConfigPlanChecks: expectInviteAction(plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					inviteValue("send_count", knownvalue.Int64Exact(2)),
					inviteValue("id", knownvalue.StringFunc(func(v string) error {
						if v != id {
							return fmt.Errorf("resend replaced the invite: id %s, was %s", v, id)
						}
						return nil
					})),
				},
				Check: func(*terraform.State) error {
					out, err := a.client.Dev.Outbox(context.Background(), "again@acme.test")
					if err != nil || len(out.Messages) != 2 {
						return fmt.Errorf("%d mails to again@acme.test, want 2 (%w)", len(out.Messages), err)
					}
					return nil
				},
			},
			{
				// Another address is another invite.
				Config: a.provider("") + inviteConfig(`
  email = "other@acme.test"
  roles = ["member"]`),
				ConfigPlanChecks: expectInviteAction(plancheck.ResourceActionDestroyBeforeCreate),
			},
		},
	})
}

func TestAccInvite_revokedOutsideIsPlannedAsNew(t *testing.T) {
	a := newAcc(t)
	var first string
	config := a.provider("") + inviteConfig(`  email = "gone@acme.test"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(*terraform.State) error {
			list, err := a.client.Invites.List(context.Background(), a.PartnerID, api.InviteListOptions{Status: api.InvitePending})
			if err != nil || len(list.Invites) != 0 {
				return fmt.Errorf("pending invites after destroy: %d (%w)", len(list.Invites), err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					first = a.inviteID(s)
					_, err := a.client.Invites.Revoke(context.Background(), a.PartnerID, first)
					return err
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           config,
				ConfigPlanChecks: expectInviteAction(plancheck.ResourceActionCreate),
				Check: func(s *terraform.State) error {
					if a.inviteID(s) == first {
						return fmt.Errorf("the revoked invite %s was kept", first)
					}
					return nil
				},
			},
		},
	})
}

func TestAccInvite_planTimeErrors(t *testing.T) {
	a := newAcc(t)
	manager := a.tokenWithRole("manager@acme.test", api.RoleManager)
	a.user("member@acme.test", api.RoleMember)
	cases := []struct{ name, config, want string }{
		{"above the ceiling", a.provider(manager) + inviteConfig(`
  email = "x@acme.test"
  roles = ["manager"]`), `(?s)ceiling.*"manager"\s+\(rank\s+60\)`},
		{"lifetime", a.provider("") + inviteConfig(`
  email    = "x@acme.test"
  lifetime = "800h"`), `duration from 1m0s to 720h0m0s`},
		{"access_duration finer than a second", a.provider("") + inviteConfig(`
  email           = "x@acme.test"
  access_duration = "720h0.5s"`), `(?s)access_duration.*whole seconds`},
		{"on_expiry", a.provider("") + inviteConfig(`
  email     = "x@acme.test"
  on_expiry = "retry"`), `on_expiry`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)}},
			})
		})
	}
	t.Run("already a user", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6,
			Steps: []resource.TestStep{{
				Config:      a.provider("") + inviteConfig(`  email = "MEMBER@acme.test"`),
				ExpectError: regexp.MustCompile(`(?s)409 email_taken.*already a user`),
			}},
		})
	})
}

func TestCompactDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		168 * time.Hour: "168h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s", time.Hour + time.Second: "1h0m1s", 5 * time.Minute: "5m",
	} {
		if got := compactDuration(d); got != want {
			t.Errorf("compactDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestAccInvite_maxSends: with on_expiry = "reinvite" and max_sends = 2, an
// invite that expires is sent again once; when it expires the second time
// the plan changes nothing, warns with the address and the count, and the
// invite stays expired. Run with the terraform CLI, whose output shows the
// plan's warnings.
func TestAccInvite_maxSends(t *testing.T) {
	a := newAcc(t)
	tf := a.tfDir("", `
provider "portal" {}
resource "portal_partner_invite" "test" {
  email     = "ghost@acme.test"
  lifetime  = "1h"
  max_sends = 2
}
`)
	tf.mustRun(t, "apply", "-auto-approve")
	invite := func() api.Invite {
		t.Helper()
		list, err := a.client.Invites.List(context.Background(), a.PartnerID, api.InviteListOptions{Email: "ghost@acme.test"})
		if err != nil || len(list.Invites) != 1 {
			t.Fatalf("list invites: %v %v", list, err)
		}
		return list.Invites[0]
	}
	a.advance(2 * time.Hour)
	if out := tf.mustRun(t, "apply", "-auto-approve"); !strings.Contains(out, "1 changed") {
		t.Fatalf("the first expiry did not resend the invite:\n%s", out)
	}
	if inv := invite(); inv.SendCount != 2 || inv.Status != api.InvitePending {
		t.Fatalf("after the resend the invite is %s, sent %d times; want pending, 2", inv.Status, inv.SendCount)
	}
	a.advance(2 * time.Hour)
	code, out := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 0 {
		t.Fatalf("the plan after the second expiry is not empty (exit %d):\n%s", code, out)
	}
	if !regexp.MustCompile(`(?s)Warning: Invitation not sent again.*ghost@acme.test.*sent 2 times.*max_sends = 2`).MatchString(out) {
		t.Errorf("the plan does not warn about the invite it leaves expired:\n%s", out)
	}
	if inv := invite(); inv.SendCount != 2 || inv.Status != api.InviteExpired {
		t.Errorf("the invite is %s, sent %d times; want expired, 2", inv.Status, inv.SendCount)
	}
}
