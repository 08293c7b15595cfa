package provider

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestAccDataSourcePartnerInvites_filters(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	invite := func(c api.InviteCreate) *api.Invite {
		t.Helper()
		inv, err := a.client.Invites.Create(ctx, a.PartnerID, c)
		if err != nil {
			t.Fatalf("invite %s: %v", c.Email, err)
		}
		return inv
	}
	late := invite(api.InviteCreate{Email: "late@acme.test", Roles: []string{"member"}, LifetimeSeconds: 3600})
	a.advance(2 * time.Hour) // late's link has expired
	wait := invite(api.InviteCreate{Email: "wait@acme.test", Roles: []string{"member", "read_only"}, AccessDurationSeconds: 30 * 24 * 3600})
	invite(api.InviteCreate{Email: "join@acme.test", Roles: []string{"manager"}})
	joined := a.accept("join@acme.test")
	nope := invite(api.InviteCreate{Email: "nope@acme.test"})
	if _, err := a.client.Invites.Revoke(ctx, a.PartnerID, nope.ID); err != nil {
		t.Fatal(err)
	}
	const addr = "portal_partner_invites."
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: a.provider("") + `
data "portal_partner_invites" "all" {}
data "portal_partner_invites" "pending" {
  status = "pending"
}
data "portal_partner_invites" "accepted" {
  status = "accepted"
}
data "portal_partner_invites" "expired" {
  status = "expired"
}
data "portal_partner_invites" "revoked" {
  status = "revoked"
}
data "portal_partner_invites" "by_email" {
  email = "WAIT@acme.test"
}
data "portal_partner_invites" "none" {
  status = "pending"
  email  = "late@acme.test"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				dataValue(addr+"all", "invites", objectsWith("email", "join@acme.test", "late@acme.test", "nope@acme.test", "wait@acme.test")),
				dataValue(addr+"all", "partner_id", knownvalue.StringExact(a.PartnerID)),
				dataValue(addr+"pending", "invites", knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":              knownvalue.StringExact(wait.ID),
					"partner_id":      knownvalue.StringExact(a.PartnerID),
					"email":           knownvalue.StringExact("wait@acme.test"),
					"roles":           stringSetOf("member", "read_only"),
					"status":          knownvalue.StringExact(api.InvitePending),
					"expires_at":      knownvalue.StringExact(wait.ExpiresAt.UTC().Format(time.RFC3339Nano)),
					"responded_at":    knownvalue.Null(),
					"user_id":         knownvalue.Null(),
					"send_count":      knownvalue.Int64Exact(1),
					"created_at":      knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
					"lifetime":        knownvalue.StringExact("168h"),
					"access_duration": knownvalue.StringExact("720h"),
				})})),
				dataValue(addr+"accepted", "invites", oneObject(map[string]knownvalue.Check{
					"email":        knownvalue.StringExact("join@acme.test"),
					"status":       knownvalue.StringExact(api.InviteAccepted),
					"user_id":      knownvalue.StringExact(joined.ID),
					"responded_at": knownvalue.NotNull(),
				})),
				dataValue(addr+"expired", "invites", oneObject(map[string]knownvalue.Check{
					"id":              knownvalue.StringExact(late.ID),
					"status":          knownvalue.StringExact(api.InviteExpired),
					"lifetime":        knownvalue.StringExact("1h"),
					"access_duration": knownvalue.Null(),
				})),
				dataValue(addr+"revoked", "invites", objectsWith("id", nope.ID)),
				dataValue(addr+"by_email", "invites", objectsWith("id", wait.ID)),
				dataValue(addr+"none", "invites", knownvalue.ListSizeExact(0)),
			},
		}},
	})
}
