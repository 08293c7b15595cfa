package provider

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The removal guard: within one plan, the provider counts, per partner, the
// people whose access the plan takes away (users destroyed, users left with
// no role, role grants revoked, people a roster removes), and fails the plan
// once that count passes both removal_guard_min and removal_guard_fraction
// of the partner's users. A provider process serves one Terraform command,
// and Configure starts each count afresh, so the count is the plan's.
//
// Terraform plans resources one by one (several at once, -parallelism), and
// a provider learns of no "end of plan": the resource whose removal passes
// the limit is the one that fails, with the count so far. It fails once per
// partner; the plan has failed then, so the resources planned after it only
// add to the count.

// Defaults of the removal guard's settings.
const (
	defaultRemovalGuardFraction = 0.25
	defaultRemovalGuardMin      = 5
)

// summaryRemovalGuard is the summary of the removal guard's error.
const summaryRemovalGuard = "Plan removes too many people"

type removalGuard struct {
	fraction float64
	min      int
	// fromBlock tells whether each setting is in the provider block, where
	// the environment variable does not override it.
	fractionFromBlock, minFromBlock bool

	mu       sync.Mutex
	partners map[string]*partnerRemovals
}

// partnerRemovals is what one plan removes from one partner.
type partnerRemovals struct {
	people  map[string]bool // user ids
	users   int             // the partner's users not removed; -1 until counted
	tripped bool            // the plan has failed on this partner already
}

// readRemovalGuard reads the guard's settings from the provider block, else
// the environment, else the defaults.
func readRemovalGuard(cfg providerModel, diags *diag.Diagnostics) *removalGuard {
	g := &removalGuard{fraction: defaultRemovalGuardFraction, min: defaultRemovalGuardMin, partners: map[string]*partnerRemovals{}}
	switch v := cfg.RemovalGuardFraction; {
	case v.IsUnknown():
		diags.AddAttributeError(path.Root("removal_guard_fraction"), "Unknown provider setting", "removal_guard_fraction must be known at plan time.")
	case !v.IsNull():
		g.fraction, g.fractionFromBlock = v.ValueFloat64(), true
	case os.Getenv(envRemovalGuardFraction) != "":
		f, err := strconv.ParseFloat(os.Getenv(envRemovalGuardFraction), 64)
		if err != nil {
			diags.AddError("Invalid "+envRemovalGuardFraction, fmt.Sprintf("%q is not a number such as 0.25.", os.Getenv(envRemovalGuardFraction)))
		}
		g.fraction = f
	}
	if math.IsNaN(g.fraction) || g.fraction < 0 || g.fraction > 1 {
		diags.AddAttributeError(path.Root("removal_guard_fraction"), "Invalid removal_guard_fraction",
			fmt.Sprintf("removal_guard_fraction (or %s) must be from 0 to 1, such as 0.25; 1 turns the guard off.", envRemovalGuardFraction))
	}
	switch v := cfg.RemovalGuardMin; {
	case v.IsUnknown():
		diags.AddAttributeError(path.Root("removal_guard_min"), "Unknown provider setting", "removal_guard_min must be known at plan time.")
	case !v.IsNull():
		g.min, g.minFromBlock = int(v.ValueInt64()), true
	case os.Getenv(envRemovalGuardMin) != "":
		n, err := strconv.Atoi(os.Getenv(envRemovalGuardMin))
		if err != nil {
			diags.AddError("Invalid "+envRemovalGuardMin, fmt.Sprintf("%q is not a whole number such as 5.", os.Getenv(envRemovalGuardMin)))
		}
		g.min = n
	}
	if g.min < 0 {
		diags.AddAttributeError(path.Root("removal_guard_min"), "Invalid removal_guard_min",
			fmt.Sprintf("removal_guard_min (or %s) must be 0 or more.", envRemovalGuardMin))
	}
	return g
}

// limit is how many of users people a plan may remove.
func (g *removalGuard) limit(users int) int {
	return max(g.min, int(math.Floor(g.fraction*float64(users)+1e-9)))
}

// guardRemovals adds people (user ids) whose access the plan removes from
// the partner to the plan's count, and fails the plan, once per partner,
// when the count passes the limit.
func (d *providerData) guardRemovals(ctx context.Context, partnerID string, people []string, diags *diag.Diagnostics) {
	g := d.guard
	if g == nil || len(people) == 0 || partnerID == "" {
		return
	}
	g.mu.Lock()
	pr, ok := g.partners[partnerID]
	if !ok {
		pr = &partnerRemovals{people: map[string]bool{}, users: -1}
		g.partners[partnerID] = pr
	}
	for _, id := range people {
		if id != "" {
			pr.people[id] = true
		}
	}
	count, users, tripped := len(pr.people), pr.users, pr.tripped
	g.mu.Unlock()
	if tripped || count <= g.min {
		return
	}
	var all map[string]api.User
	if users < 0 || count > g.limit(users) {
		// The partner's users come from the run's shared listing, which the
		// refresh has read already.
		var err error
		all, err = d.users.all(ctx, d.client, partnerID)
		if addAPIError(diags, "Unable to check the removal guard", "listing the users of partner "+partnerID+" to count them", err) {
			return
		}
		users = 0
		for _, u := range all {
			if u.Status != api.UserDeleted {
				users++
			}
		}
	}
	g.mu.Lock()
	pr.users = users
	count = len(pr.people)
	over := count > g.limit(users) && !pr.tripped
	if over {
		pr.tripped = true
	}
	removed := slices.Collect(maps.Keys(pr.people))
	g.mu.Unlock()
	if over {
		diags.AddError(summaryRemovalGuard, g.explain(partnerID, count, users, removed, all))
	}
}

// explain is the removal guard's error: the partner, the count, the limit,
// who, and the setting that lets the plan through.
func (g *removalGuard) explain(partnerID string, count, users int, removed []string, all map[string]api.User) string {
	names := make([]string, 0, len(removed))
	for _, id := range removed {
		if u, ok := all[id]; ok {
			names = append(names, u.Email)
		} else {
			names = append(names, id)
		}
	}
	slices.Sort(names)
	const shown = 10
	who := strings.Join(names[:min(len(names), shown)], ", ")
	if len(names) > shown {
		who += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	limit := g.limit(users)
	allow := fmt.Sprintf("If this is intended, allow it for this run: %s=%d terraform plan (or apply, or destroy)", envRemovalGuardMin, count)
	if g.minFromBlock {
		allow = fmt.Sprintf("If this is intended, raise removal_guard_min in the provider block to %d for this run", count)
	}
	return fmt.Sprintf("This plan takes away the access of at least %d people of partner %s (%s), more than the removal guard allows: %d, "+
		"the larger of removal_guard_min = %d and removal_guard_fraction = %g of the partner's %d users. "+
		"The count is what the plan has reached so far (users destroyed, users left with no role, roles revoked, people a roster removes); "+
		"the rest of the plan may remove more. "+
		"%s, with a number at least as large as everyone the plan removes; %s=1 turns the guard off. "+
		"Terraform plans again during apply, so give the same setting to the apply too (also to `terraform apply PLANFILE`). "+
		"Otherwise check the configuration: a removed for_each source, a typo in a partner_id, or an emptied roster removes everyone in it.",
		count, partnerID, who, limit, g.min, g.fraction, users, allow, envRemovalGuardFraction)
}

// guardUserRemoval counts a portal_partner_user whose plan removes the
// person's access: destroyed (a null plan), moved to another partner (a
// replacement), or left with no role.
func (d *providerData) guardUserRemoval(ctx context.Context, plan *userModel, state userModel, diags *diag.Diagnostics) {
	id := state.ID.ValueString()
	switch {
	case plan == nil || (!plan.PartnerID.IsUnknown() && !plan.PartnerID.Equal(state.PartnerID)):
	case lastRoleTaken(plan.Roles, state.Roles):
	default:
		return
	}
	d.guardRemovals(ctx, state.PartnerID.ValueString(), []string{id}, diags)
}

// lastRoleTaken reports whether a planned role set is empty where state has roles.
func lastRoleTaken(plan, state types.Set) bool {
	return !plan.IsNull() && !plan.IsUnknown() && len(plan.Elements()) == 0 &&
		!state.IsNull() && !state.IsUnknown() && len(state.Elements()) > 0
}
