package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

func TestAccDataSourceAuditEvents_filters(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	// Events, oldest first: partner.created and user.created (bootstrap); by
	// the owner, user.created and user.updated of ana, user.created of mgr and
	// token.created; by mgr, user.created of by-mgr; an hour later, by the
	// owner, user.updated of ana (the only event since then).
	first, last := "Ana", "Silva"
	ana := a.user("ana@acme.test", "member")
	if _, err := a.client.Users.Update(ctx, a.PartnerID, ana.ID, api.UserUpdate{FirstName: &first}, 0); err != nil {
		t.Fatal(err)
	}
	mgr, err := client.New(client.Config{Endpoint: a.URL, Token: a.tokenWithRole("mgr@acme.test", api.RoleManager)})
	if err != nil {
		t.Fatal(err)
	}
	byMgr, err := mgr.Users.Create(ctx, a.PartnerID, api.UserCreate{Email: "by-mgr@acme.test", Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	a.advance(time.Hour)
	clock, err := a.client.Dev.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.Users.Update(ctx, a.PartnerID, ana.ID, api.UserUpdate{LastName: &last}, 0); err != nil {
		t.Fatal(err)
	}
	actions := func(names ...string) knownvalue.Check { return objectsWith("action", names...) }
	const addr = "portal_audit_events."
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: a.provider("") + fmt.Sprintf(`
data "portal_audit_events" "all" {}
data "portal_audit_events" "ana" {
  user_id = %[1]q
}
data "portal_audit_events" "by_mgr" {
  actor = "MGR@acme.test"
}
data "portal_audit_events" "tokens" {
  action = "token.created"
}
data "portal_audit_events" "since" {
  since = %[2]q
}
data "portal_audit_events" "newest_two" {
  max_events = 2
}
`, ana.ID, clock.Now.UTC().Format(time.RFC3339)),
			ConfigStateChecks: []statecheck.StateCheck{
				dataValue(addr+"all", "max_events", knownvalue.Int64Exact(defaultMaxEvents)),
				dataValue(addr+"all", "partner_id", knownvalue.StringExact(a.PartnerID)),
				dataValue(addr+"all", "events", actions("user.updated", "user.created", "token.created", "user.created", "user.updated",
					"user.created", "user.created", "partner.created")),
				dataValue(addr+"ana", "events", actions("user.updated", "user.updated", "user.created")),
				dataValue(addr+"ana", "events", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"target_type": knownvalue.StringExact("user"),
						"target_id":   knownvalue.StringExact(ana.ID),
						"before_json": knownvalue.StringRegexp(regexp.MustCompile(`^\{.*"first_name":"Ana".*"last_name":"".*\}$`)),
						"after_json":  knownvalue.StringRegexp(regexp.MustCompile(`"last_name":"Silva"`)),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"target_id": knownvalue.StringExact(ana.ID)}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"before_json": knownvalue.StringExact(""),
						"after_json":  knownvalue.StringRegexp(regexp.MustCompile(`"email":"ana@acme.test"`)),
						"actor_type":  knownvalue.StringExact("user"),
						"actor_id":    knownvalue.StringExact(a.OwnerID),
						"actor_email": knownvalue.StringExact("owner@acme.test"),
						"request_id":  knownvalue.NotNull(),
						"id":          knownvalue.StringRegexp(regexp.MustCompile(`^evt_`)),
						"time":        knownvalue.NotNull(),
					}),
				})),
				dataValue(addr+"by_mgr", "events", oneObject(map[string]knownvalue.Check{
					"action":      knownvalue.StringExact("user.created"),
					"target_id":   knownvalue.StringExact(byMgr.ID),
					"actor_email": knownvalue.StringExact("mgr@acme.test"),
				})),
				dataValue(addr+"tokens", "events", actions("token.created")),
				dataValue(addr+"since", "events", oneObject(map[string]knownvalue.Check{
					"action": knownvalue.StringExact("user.updated"), "after_json": knownvalue.StringRegexp(regexp.MustCompile(`"last_name":"Silva"`)),
				})),
				dataValue(addr+"newest_two", "events", actions("user.updated", "user.created")),
				dataValue(addr+"newest_two", "max_events", knownvalue.Int64Exact(2)),
			},
		}},
	})
}

func TestAccDataSourceAuditEvents_badSinceFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:      a.provider("") + "data \"portal_audit_events\" \"x\" {\n  since = \"yesterday\"\n}\n",
			ExpectError: regexp.MustCompile(`not an RFC 3339 time`),
		}},
	})
}
