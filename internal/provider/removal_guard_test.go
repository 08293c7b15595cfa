package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// guardProvider is the provider block with removal guard settings.
func (a *acc) guardProvider(settings string) string {
	return fmt.Sprintf(`
provider "portal" {
  endpoint   = %[1]q
  api_token  = %[2]q
  partner_id = %[3]q
  %[4]s
}
`, a.URL, a.OwnerToken, a.PartnerID, settings)
}

// teamConfig is n portal_partner_user resources, p1@ to pN@, with a role each.
func teamConfig(n int) string {
	return fmt.Sprintf(`
resource "portal_partner_user" "team" {
  count = %d
  email = "p${count.index + 1}@acme.test"
  roles = ["member"]
}
`, n)
}

// guardRefused is the removal guard's error, as Terraform wraps it: the
// partner, and then each of more. The count it names is the plan's so far,
// which depends on the order Terraform plans the resources in: more than 5.
func guardRefused(partnerID string, more ...string) *regexp.Regexp {
	words := func(s string) string { return strings.Join(strings.Fields(regexp.QuoteMeta(s)), `\s+`) }
	re := `(?s)Plan removes too many people.*at\s+least\s+([6-9]|1[0-9])\s+people\s+of\s+partner\s+` + regexp.QuoteMeta(partnerID)
	for _, m := range more {
		re += ".*" + words(m)
	}
	return regexp.MustCompile(re)
}

// liveUsers counts the partner's users who are not removed.
func (a *acc) liveUsers() int {
	a.t.Helper()
	users, err := a.client.Users.ListAll(context.Background(), a.PartnerID, api.UserListOptions{})
	if err != nil {
		a.t.Fatalf("list users: %v", err)
	}
	return len(users)
}

// The partner has its owner and 12 users: removing 10 of them passes both
// removal_guard_min (5) and a quarter of 13 (3), so the plan fails; removing
// 2 passes; with removal_guard_min = 10 the other 10 go.
func TestAccRemovalGuard_stopsLargeRemoval(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{Config: a.provider("") + teamConfig(12)},
			{
				Config: a.provider("") + teamConfig(2),
				ExpectError: guardRefused(a.PartnerID, "allows: 5, the larger of removal_guard_min = 5 and removal_guard_fraction = 0.25 of the partner's 13 users",
					"PORTAL_REMOVAL_GUARD_MIN="),
			},
			{
				Config: a.provider("") + teamConfig(10),
				Check: func(*terraform.State) error {
					if n := a.liveUsers(); n != 11 {
						return fmt.Errorf("after removing 2 of 12, the partner has %d users, want 11 (10 and the owner)", n)
					}
					return nil
				},
			},
			{
				Config: a.guardProvider("removal_guard_min = 10") + teamConfig(0),
				Check: func(*terraform.State) error {
					if n := a.liveUsers(); n != 1 {
						return fmt.Errorf("after removing the other 10 with removal_guard_min = 10, the partner has %d users, want 1 (the owner)", n)
					}
					return nil
				},
			},
		},
	})
}

// guardMixConfig is three users granted a role each by
// portal_role_assignment, a roster of two people, and one more user.
func guardMixConfig(all bool) string {
	cfg := `
resource "portal_partner_user" "solo" {
  email = "solo@acme.test"
  roles = ["member"]
}
`
	if !all {
		return cfg
	}
	return cfg + `
resource "portal_partner_user" "granted" {
  count = 3
  email = "g${count.index + 1}@acme.test"
}

resource "portal_role_assignment" "granted" {
  count   = 3
  user_id = portal_partner_user.granted[count.index].id
  role    = "member"
}

resource "portal_partner_roster" "team" {
  users = {
    "r1@acme.test" = { roles = ["member"] }
    "r2@acme.test" = { roles = ["member"] }
  }
}
`
}

// The guard counts people across resources of one plan, each once: a
// destroy of six people (no resource removes more than three) is refused,
// and removing five people with eight removals (three users destroyed with
// their grants, and a roster of two) is not.
func TestAccRemovalGuard_destroyAcrossResources(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{Config: a.provider("") + guardMixConfig(true)},
			{
				Config:      a.provider("") + guardMixConfig(true),
				Destroy:     true,
				ExpectError: guardRefused(a.PartnerID, "the partner's 7 users"),
			},
			{
				Config: a.provider("") + guardMixConfig(false),
				Check: func(*terraform.State) error {
					if n := a.liveUsers(); n != 2 {
						return fmt.Errorf("the partner has %d users, want 2 (solo and the owner)", n)
					}
					return nil
				},
			},
		},
	})
}

func TestRemovalGuard_limitAndSettings(t *testing.T) {
	for _, c := range []struct {
		fraction float64
		min      int
		users    int
		want     int
	}{
		{0.25, 5, 13, 5}, {0.25, 5, 40, 10}, {0.25, 5, 41, 10}, {0.5, 0, 3, 1}, {1, 5, 200, 200},
	} {
		g := &removalGuard{fraction: c.fraction, min: c.min}
		if got := g.limit(c.users); got != c.want {
			t.Errorf("limit(%d) with fraction %g and min %d = %d, want %d", c.users, c.fraction, c.min, got, c.want)
		}
	}

	t.Setenv(envRemovalGuardMin, "40")
	t.Setenv(envRemovalGuardFraction, "0.5")
	var diags diag.Diagnostics
	g := readRemovalGuard(providerModel{RemovalGuardFraction: types.Float64Null(), RemovalGuardMin: types.Int64Null()}, &diags)
	if diags.HasError() || g.min != 40 || g.fraction != 0.5 || g.minFromBlock {
		t.Errorf("from the environment: %+v, %v", g, diags)
	}
	g = readRemovalGuard(providerModel{RemovalGuardFraction: types.Float64Null(), RemovalGuardMin: types.Int64Value(7)}, &diags)
	if diags.HasError() || g.min != 7 || !g.minFromBlock {
		t.Errorf("the provider block over the environment: %+v, %v", g, diags)
	}
	for _, bad := range []providerModel{
		{RemovalGuardFraction: types.Float64Value(1.5), RemovalGuardMin: types.Int64Null()},
		{RemovalGuardFraction: types.Float64Null(), RemovalGuardMin: types.Int64Value(-1)},
	} {
		var diags diag.Diagnostics
		readRemovalGuard(bad, &diags)
		if !diags.HasError() {
			t.Errorf("%+v: no error", bad)
		}
	}
}
