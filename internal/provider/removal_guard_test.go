package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// guardProvider is the owner's provider block with removal guard settings.
func (a *acc) guardProvider(settings string) string {
	return strings.Replace(a.provider(""), "\n}\n", "\n  "+settings+"\n}\n", 1)
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
// which depends on the order Terraform plans the resources in.
func guardRefused(partnerID string, more ...string) *regexp.Regexp {
	words := func(s string) string { return strings.Join(strings.Fields(regexp.QuoteMeta(s)), `\s+`) }
	re := `(?s)Plan removes too many people.*at\s+least\s+\d+\s+people\s+of\s+partner\s+` + regexp.QuoteMeta(partnerID)
	for _, m := range more {
		re += ".*" + words(m)
	}
	return regexp.MustCompile(re)
}

// expectLiveUsers is a Check that the partner has n users who are not
// removed; after says when.
func (a *acc) expectLiveUsers(n int, after string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := a.liveUsers(); got != n {
			return fmt.Errorf("after %s, the partner has %d users, want %d", after, got, n)
		}
		return nil
	}
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
				Check:  a.expectLiveUsers(11, "removing 2 of 12 (10 are left, and the owner)"),
			},
			{
				Config: a.guardProvider("removal_guard_min = 10") + teamConfig(0),
				Check:  a.expectLiveUsers(1, "removing the other 10 with removal_guard_min = 10 (the owner is left)"),
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
				Check:  a.expectLiveUsers(2, "removing five people in eight removals (solo and the owner are left)"),
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

// TestAccStaleAccessExample runs examples/stale-access as its guide does,
// with the test clock: after 31 days without activity the report lists the
// team, the plan that removes them meets the removal guard (here set to 2
// for the run, through its environment variable), passes with it raised
// for the run, and the plan after is empty: the removed people stay out.
func TestAccStaleAccessExample(t *testing.T) {
	a := newAcc(t)
	example := filepath.Join(moduleRoot(t), "examples", "stale-access")
	config, err := os.ReadFile(filepath.Join(example, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	tf := a.tfDir("", string(config))
	csv, err := os.ReadFile(filepath.Join(example, "team.csv"))
	if err == nil {
		err = os.WriteFile(filepath.Join(tf.dir, "team.csv"), csv, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	withEnv := func(env ...string) *tfDir { return &tfDir{dir: tf.dir, env: append(slices.Clone(tf.env), env...)} }

	tf.mustRun(t, "apply", "-auto-approve")
	output := func() string {
		t.Helper()
		code, out := tf.run(t, "output", "-json", "stale_access")
		if code != 0 {
			t.Fatalf("terraform output: exit %d\n%s", code, out)
		}
		return out
	}
	if out := output(); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a team just added is reported stale: %s", out)
	}
	a.advance(31 * 24 * time.Hour)
	tf.mustRun(t, "apply", "-auto-approve") // refreshes the report
	out := output()
	for _, email := range []string{"lena.fischer", "omar.haddad", "priya.nair", "tomas.novak"} {
		if !strings.Contains(out, email+"@stale.example") {
			t.Errorf("the report after 31 days does not list %s: %s", email, out)
		}
	}
	code, plan := withEnv(envRemovalGuardMin+"=2").run(t, "plan", "-var", "remove_stale=true", "-input=false", "-no-color")
	if code != 1 || !guardRefused(a.PartnerID, "PORTAL_REMOVAL_GUARD_MIN=").MatchString(plan) {
		t.Fatalf("with %s=2 the plan that removes 4 of 5 is not refused (exit %d):\n%s", envRemovalGuardMin, code, plan)
	}
	withEnv(envRemovalGuardMin+"=4").mustRun(t, "apply", "-auto-approve", "-var", "remove_stale=true")
	if n := a.liveUsers(); n != 1 {
		t.Errorf("after removing the stale team the partner has %d users, want 1 (the owner)", n)
	}
	// The next apply only updates the report (nobody is planned back), and
	// the plan after it is empty.
	if out := tf.mustRun(t, "apply", "-auto-approve", "-var", "remove_stale=true"); !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
		t.Errorf("the apply after removing them changes something:\n%s", out)
	}
	if code, out := tf.run(t, "plan", "-detailed-exitcode", "-var", "remove_stale=true", "-input=false", "-no-color"); code != 0 {
		t.Errorf("the plan after removing them is not empty (exit %d):\n%s", code, out)
	}
}

// TestRemovalGuard_countsEachPersonOnceAndFailsOnce: the count is of
// people, whichever resources remove them; the plan fails on the removal
// that passes the limit, once per partner; a user left with no role counts.
func TestRemovalGuard_countsEachPersonOnceAndFailsOnce(t *testing.T) {
	ctx := t.Context()
	listed := &partnerUsers{done: make(chan struct{}), written: map[string]*api.User{}, users: map[string]api.User{
		"usr_a": {ID: "usr_a", Email: "a@acme.test", Status: api.UserActive},
		"usr_b": {ID: "usr_b", Email: "b@acme.test", Status: api.UserActive},
		"usr_c": {ID: "usr_c", Email: "c@acme.test", Status: api.UserActive},
		"usr_d": {ID: "usr_d", Email: "d@acme.test", Status: api.UserDeleted},
	}}
	close(listed.done)
	d := &providerData{users: newUserIndex(nil), guard: &removalGuard{min: 1, fraction: 0.5, partners: map[string]*partnerRemovals{}}}
	d.users.partners["prt_1"] = listed
	remove := func(ids ...string) diag.Diagnostics {
		var diags diag.Diagnostics
		d.guardRemovals(ctx, "prt_1", ids, &diags)
		return diags
	}
	// 3 users not removed: the limit is max(1, floor(1.5)) = 1.
	if diags := remove("usr_a"); diags.HasError() {
		t.Fatalf("one removal of a limit of 1: %v", diags)
	}
	if diags := remove("usr_a"); diags.HasError() {
		t.Fatalf("the same person again (a grant of a user also destroyed): %v", diags)
	}
	roles := func(keys ...string) types.Set {
		s, _ := stringSet(ctx, keys)
		return s
	}
	var diags diag.Diagnostics
	state := userModel{ID: types.StringValue("usr_b"), PartnerID: types.StringValue("prt_1"), Roles: roles("member")}
	plan := state
	plan.Roles = roles()
	d.guardUserRemoval(ctx, &plan, state, &diags)
	if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), "at least 2 people of partner prt_1 (a@acme.test, b@acme.test)") {
		t.Fatalf("a second person, left with no role, does not fail the plan: %v", diags)
	}
	if diags := remove("usr_c"); diags.HasError() {
		t.Errorf("the plan failed already, but a third removal fails it again: %v", diags)
	}
	if got := len(d.guard.partners["prt_1"].people); got != 3 {
		t.Errorf("counted %d people, want 3", got)
	}
}
