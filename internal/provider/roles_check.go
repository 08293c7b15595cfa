package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// checkRoleChange fails the plan, before anything is sent, for a role the
// partner does not have and for a role above what the API token may grant
// (added) or take away (removed), as GET /v1/me tells.
func (d *providerData) checkRoleChange(ctx context.Context, partnerID string, at path.Path, prev, next []string, diags *diag.Diagnostics) {
	roles, err := d.partnerRoles(ctx, partnerID)
	if err != nil {
		addAPIError(diags, "Unable to check roles", "reading the roles of partner "+partnerID, err)
		return
	}
	var unknown []string
	for _, k := range next {
		if _, ok := roles[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(roles))
		for k := range roles {
			known = append(known, k)
		}
		sort.Strings(known)
		diags.AddAttributeError(at, "Unknown role",
			fmt.Sprintf("Partner %s has no role %s. Its roles are: %s.", partnerID, strings.Join(quoteAll(unknown), ", "), strings.Join(known, ", ")))
		return
	}
	me, err := d.whoAmI(ctx)
	if err != nil {
		addAPIError(diags, "Unable to check roles", "reading GET /v1/me for the API token's role", err)
		return
	}
	check := func(key, verb string) {
		r := roles[key]
		if r.Rank <= me.CeilingRank {
			return
		}
		ceiling := me.CeilingRole
		if ceiling == "" {
			ceiling = "none"
		}
		diags.AddAttributeError(at, "Role above the API token's ceiling",
			fmt.Sprintf("This plan would %s the role %q (rank %d), but the API token's role is %q, which may grant roles only up to rank %d (%s). "+
				"An owner grants any role, an admin up to manager, a manager up to member. Use a token of a higher role, or leave this role out.",
				verb, key, r.Rank, me.Role, me.CeilingRank, ceiling))
	}
	for _, k := range next {
		if !slices.Contains(prev, k) {
			check(k, "grant")
		}
	}
	for _, k := range prev {
		if !slices.Contains(next, k) {
			if _, ok := roles[k]; ok {
				check(k, "revoke")
			}
		}
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
