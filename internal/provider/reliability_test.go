package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// providerVia is a provider block that talks to the portal through url (a
// fault proxy), with enough retries that 20% faults cannot exhaust them.
//
// These tests destroy the hundreds of people they create, which is what the
// removal guard refuses: it is off (removal_guard_fraction = 1).
func (a *acc) providerVia(url string) string {
	return fmt.Sprintf(`
provider "portal" {
  endpoint    = %[1]q
  api_token   = %[2]q
  partner_id  = %[3]q
  max_retries = 10

  removal_guard_fraction = 1
}
`, url, a.OwnerToken, a.PartnerID)
}

// TestAccReliability_200UsersThroughFaults applies 200 users while a fifth
// of all requests fail: 429 bursts, 503s, connection resets, slow answers,
// and changes committed by portald whose answers are lost. Exactly 200 users
// must exist afterwards, none created twice, state must match the server,
// and the plan after apply (refreshed through the same faults) must be empty.
func TestAccReliability_200UsersThroughFaults(t *testing.T) {
	a := newAcc(t)
	proxy := portaltest.StartFaultProxy(t, a.URL, 0.20, 20261122)
	config := a.providerVia(proxy.URL) + `
# count, not for_each: terraform-plugin-testing's state checks cannot read string keys.
resource "portal_partner_user" "bulk" {
  count = 200
  email = format("person%03d@bulk.test", count.index)
  roles = ["member"]
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(s *terraform.State) error {
				t.Logf("fault proxy after apply: %s", proxy)
				return a.checkBulkUsers(s, 200)
			},
		}},
	})
	n, injected := proxy.Stats()
	t.Logf("fault proxy in all (apply, refresh, plans, destroy): %s", proxy)
	if injected[portaltest.FaultLostAnswer] == 0 || injected[portaltest.Fault429] == 0 || n < 400 {
		t.Fatalf("the run did not exercise the faults it claims to: %s", proxy)
	}
}

// checkBulkUsers: state and server agree on count users @bulk.test, each
// created exactly once (bulkUsers).
func (a *acc) checkBulkUsers(s *terraform.State, count int) error {
	all, err := a.bulkUsers(count)
	if err != nil {
		return err
	}
	byID := map[string]api.User{}
	for _, u := range all {
		byID[u.ID] = u
	}
	inState := 0
	for addr, rs := range s.RootModule().Resources {
		if rs.Type != "portal_partner_user" {
			continue
		}
		inState++
		u, ok := byID[rs.Primary.ID]
		if !ok || !strings.EqualFold(u.Email, rs.Primary.Attributes["email"]) || !slices.Equal(u.Roles, []string{"member"}) {
			return fmt.Errorf("%s (id %s) does not match the server: %+v", addr, rs.Primary.ID, u)
		}
	}
	if inState != count {
		return fmt.Errorf("%d users in state, want %d", inState, count)
	}
	return nil
}

// bulkUsers are the users @bulk.test on the server, removed ones too: an
// error unless there are count of them, each created exactly once (one
// user.created audit event per address).
func (a *acc) bulkUsers(count int) ([]api.User, error) {
	ctx := context.Background()
	all, err := a.client.Users.ListAll(ctx, a.PartnerID, api.UserListOptions{EmailDomain: "bulk.test", IncludeDeleted: true})
	if err != nil {
		return nil, err
	}
	if len(all) != count {
		return nil, fmt.Errorf("%d users @bulk.test on the server, want %d", len(all), count)
	}
	events, err := a.client.Audit.ListAll(ctx, a.PartnerID, api.AuditListOptions{Action: "user.created"})
	if err != nil {
		return nil, err
	}
	created := map[string]int{}
	for _, e := range events {
		if email, _ := e.After["email"].(string); strings.HasSuffix(email, "@bulk.test") {
			created[email]++
		}
	}
	for email, n := range created {
		if n != 1 {
			return nil, fmt.Errorf("%s was created %d times", email, n)
		}
	}
	if len(created) != count {
		return nil, fmt.Errorf("%d addresses created, want %d", len(created), count)
	}
	return all, nil
}

// TestAccReliability_noLostUpdate races two writers on one user: between
// Terraform's refresh and its update, someone else changes the user's roles.
// The update carries the version Terraform read as If-Match, so the portal
// refuses it (412) and Terraform reports it; the other change survives.
func TestAccReliability_noLostUpdate(t *testing.T) {
	a := newAcc(t)
	proxy := portaltest.StartFaultProxy(t, a.URL, 0, 1)
	var once sync.Once
	var userID string
	proxy.Before = func(r *http.Request) {
		if r.Method != http.MethodPatch || userID == "" || !strings.HasSuffix(r.URL.Path, "/users/"+userID) {
			return
		}
		once.Do(func() { // the other writer wins the race
			if _, err := a.client.Grants.Grant(context.Background(), a.PartnerID, userID, api.RoleReadOnly); err != nil {
				t.Errorf("the other writer's change: %v", err)
			}
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.providerVia(proxy.URL) + userConfig(`
  email = "contested@acme.test"
  roles = ["member"]`),
				Check: func(s *terraform.State) error { userID = s.RootModule().Resources[userAddr].Primary.ID; return nil },
			},
			{
				Config: a.providerVia(proxy.URL) + userConfig(`
  email = "contested@acme.test"
  roles = ["manager"]`),
				ExpectError: regexp.MustCompile(`(?s)changed since it was read.*412\s+precondition_failed.*request\s+id\s+req_`),
			},
		},
	})
	if u := a.serverUser(userID); !slices.Equal(u.Roles, []string{"member", "read_only"}) {
		t.Fatalf("after the refused update the server holds %v, want the other writer's [member read_only]", u.Roles)
	}
}
