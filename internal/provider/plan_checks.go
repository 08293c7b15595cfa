package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// What the plan checks before anything is sent, across resources: roles
// against what the API token may grant, and users whose roles are managed
// two ways at once.

// checkRoleChange fails the plan, before anything is sent, for a role the
// partner does not have and for a role above what the API token may grant
// (added) or take away (removed), as GET /v1/me tells.
func (d *providerData) checkRoleChange(ctx context.Context, partnerID string, at path.Path, prev, next []string, diags *diag.Diagnostics) {
	roles, err := d.partnerRoles(ctx, partnerID)
	if addAPIError(diags, "Unable to check roles", "reading the roles of partner "+partnerID, err) {
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
	if addAPIError(diags, "Unable to check roles", "reading GET /v1/me for the API token's role", err) {
		return
	}
	type change struct{ key, verb string }
	var changes []change
	for _, k := range next {
		if !slices.Contains(prev, k) {
			changes = append(changes, change{k, "grant"})
		}
	}
	for _, k := range prev {
		if _, ok := roles[k]; ok && !slices.Contains(next, k) {
			changes = append(changes, change{k, "revoke"})
		}
	}
	if len(changes) == 0 {
		return
	}
	if me.CeilingRank == 0 && len(me.WithheldPermissions) > 0 && me.PartnerID == partnerID {
		// The partner's setting, not the role, is why this token grants nothing.
		if !hasErrorSummary(*diags, summaryUserAdmin) {
			diags.AddAttributeError(at, summaryUserAdmin, userAdminDetail(me, "grant or revoke roles"))
		}
		return
	}
	for _, c := range changes {
		r := roles[c.key]
		if r.Rank <= me.CeilingRank {
			continue
		}
		ceiling := me.CeilingRole
		if ceiling == "" {
			ceiling = "none"
		}
		diags.AddAttributeError(at, "Role above the API token's ceiling",
			fmt.Sprintf("This plan would %s the role %q (rank %d), but the API token's role is %q, which may grant roles only up to rank %d (%s). "+
				"An owner grants any role, an admin up to manager, a manager up to member. Use a token of a higher role, or leave this role out.",
				c.verb, c.key, r.Rank, me.Role, me.CeilingRank, ceiling))
	}
}

// checkTargetRank fails the plan of a change to a user that the API token
// may not make: only an owner (or an operator) changes an account that
// holds a role ranked at or above its own. roles are the user's roles as
// read; at is the attribute the change is planned on.
func (d *providerData) checkTargetRank(ctx context.Context, u userModel, roles []string, at path.Path, diags *diag.Diagnostics) {
	pid := u.PartnerID.ValueString()
	if !d.checkUserAdmin(ctx, pid, "change users", at, diags) {
		return
	}
	me, err := d.whoAmI(ctx)
	if addAPIError(diags, "Unable to check the user's rank", "reading GET /v1/me for the API token's role", err) || me.Rank >= api.RankOwner {
		return
	}
	byKey, err := d.partnerRoles(ctx, pid)
	if addAPIError(diags, "Unable to check the user's rank", "reading the roles of partner "+pid, err) {
		return
	}
	top := ""
	for _, k := range roles {
		if r, ok := byKey[k]; ok && (top == "" || r.Rank > byKey[top].Rank) {
			top = k
		}
	}
	if top == "" || byKey[top].Rank < me.Rank {
		return
	}
	diags.AddAttributeError(at, "User ranks too high for this API token",
		fmt.Sprintf("User %s (%s) holds the role %q (rank %d), which is not below the rank of %s (%d), so this token cannot change the user: "+
			"only an owner changes an account ranked at or above itself. Use a token of a higher role, or leave this user as it is.",
			u.ID.ValueString(), u.Email.ValueString(), top, byKey[top].Rank, tokenRoleLabel(me), me.Rank))
}

// summaryUserAdmin is the summary of the error of a change that the
// partner's user_admin_min_role refuses the API token.
const summaryUserAdmin = "User management not allowed for this API token"

// checkUserAdmin fails the plan of a change to the users of a partner
// (what, such as "create users") when the API token does not hold
// users.manage there in effect, as GET /v1/me
// tells: its role lacks it, or the partner's user_admin_min_role withholds
// it from a role ranked below that setting. An operator token, and a
// partner other than the token's (which the portal answers 404), are not
// checked here. It reports whether the plan may go on.
func (d *providerData) checkUserAdmin(ctx context.Context, partnerID, what string, at path.Path, diags *diag.Diagnostics) bool {
	const perm = api.PermUsersManage
	me, err := d.whoAmI(ctx)
	if addAPIError(diags, "Unable to check the API token's permissions", "reading GET /v1/me for the API token's role", err) {
		return false
	}
	if me.Kind == api.KindOperator || me.PartnerID != partnerID || slices.Contains(me.Permissions, perm) {
		return true
	}
	if hasErrorSummary(*diags, summaryUserAdmin) {
		return false // said once per resource
	}
	detail := fmt.Sprintf("%s does not hold the permission %s, so it cannot %s of partner %s. Use a token of a user whose role holds %s.",
		capitalize(tokenRoleLabel(me)), perm, what, partnerID, perm)
	if slices.Contains(me.WithheldPermissions, perm) {
		detail = userAdminDetail(me, what)
	}
	diags.AddAttributeError(at, summaryUserAdmin, detail)
	return false
}

// userAdminDetail explains that the partner's user_admin_min_role keeps the
// API token from what it would do.
func userAdminDetail(me *api.Me, what string) string {
	return fmt.Sprintf("Partner %s lets only %s and above change users, their roles and invites (its setting user_admin_min_role = %q). "+
		"%s (rank %d) ranks below that, so the setting withholds %s from it (GET /v1/me lists them as withheld), and this token cannot %s. "+
		"Use a token of a user with the role %s or above, or leave this change out.",
		me.PartnerID, me.UserAdminMinRole, me.UserAdminMinRole, capitalize(tokenRoleLabel(me)), me.Rank,
		strings.Join(me.WithheldPermissions, " and "), what, me.UserAdminMinRole)
}

// hasErrorSummary reports whether diags hold an error with that summary.
func hasErrorSummary(diags diag.Diagnostics, summary string) bool {
	for _, e := range diags.Errors() {
		if e.Summary() == summary {
			return true
		}
	}
	return false
}

// tokenRoleLabel names the API token's role for messages.
func tokenRoleLabel(me *api.Me) string {
	if me.Role == "" {
		return "this " + me.Kind + " token"
	}
	return "this token's role " + me.Role
}

// Within one plan, the provider process sees every resource it plans. It
// notes which users have their roles set authoritatively by
// portal_partner_user.roles and which get grants from portal_role_assignment,
// so that a user managed both ways gets a warning from whichever resource is
// planned second: the two would undo each other on every apply.

type roleOwnership struct {
	authoritative bool
	roster        bool // set by a portal_partner_roster's users[...].roles
	assigned      map[string]bool
}

func (d *providerData) ownership(userID string) *roleOwnership {
	o, ok := d.owners[userID]
	if !ok {
		o = &roleOwnership{assigned: map[string]bool{}}
		d.owners[userID] = o
	}
	return o
}

// noteAuthoritativeRoles records that portal_partner_user manages the user's
// whole role set, and warns if portal_role_assignment grants roles to it too.
func (d *providerData) noteAuthoritativeRoles(userID string, at path.Path, diags *diag.Diagnostics) {
	if userID == "" {
		return
	}
	d.ownersMu.Lock()
	o := d.ownership(userID)
	o.authoritative = true
	n, roster := len(o.assigned), o.roster
	d.ownersMu.Unlock()
	switch {
	case roster:
		diags.AddAttributeWarning(at, "Roles managed twice", rosterManagedTwice(userID))
	case n > 0:
		diags.AddAttributeWarning(at, "Roles managed twice", rolesManagedTwice(userID))
	}
}

// noteRosterRoles records that a portal_partner_roster sets the user's
// whole role set, and warns if portal_partner_user.roles or
// portal_role_assignment manages them too.
func (d *providerData) noteRosterRoles(userID string, at path.Path, diags *diag.Diagnostics) {
	if userID == "" {
		return
	}
	d.ownersMu.Lock()
	o := d.ownership(userID)
	o.roster = true
	twice := o.authoritative || len(o.assigned) > 0
	d.ownersMu.Unlock()
	if twice {
		diags.AddAttributeWarning(at, "Roles managed twice", rosterManagedTwice(userID))
	}
}

// noteAssignment records a portal_role_assignment of role to the user, and
// warns if portal_partner_user manages the user's whole role set.
func (d *providerData) noteAssignment(userID, role string, at path.Path, diags *diag.Diagnostics) {
	if userID == "" {
		return
	}
	d.ownersMu.Lock()
	o := d.ownership(userID)
	o.assigned[role] = true
	authoritative, roster := o.authoritative, o.roster
	d.ownersMu.Unlock()
	switch {
	case roster:
		diags.AddAttributeWarning(at, "Roles managed twice", rosterManagedTwice(userID))
	case authoritative:
		diags.AddAttributeWarning(at, "Roles managed twice", rolesManagedTwice(userID))
	}
}

// A user created in the same plan as its grants has no id yet, and the
// grants' user_id (portal_partner_user.<name>.id) is not known until the
// user is created: at the first plan neither side can match the other, as
// a provider sees values, never the references between resources. So the
// user's plan notes its partner and email too; when the apply plans each
// grant again, with the user's id known by then, the grant's user (the
// run's own write) is matched by email, and the warning comes with the
// first apply instead of only with the next plan.

// noteNewAuthoritativeUser records a user planned with roles set and no id
// yet, by partner and email.
func (d *providerData) noteNewAuthoritativeUser(partnerID, email string) {
	if partnerID == "" || email == "" {
		return
	}
	d.ownersMu.Lock()
	defer d.ownersMu.Unlock()
	if d.newOwners == nil {
		d.newOwners = map[string]bool{}
	}
	d.newOwners[partnerID+"/"+api.NormalizeEmail(email)] = true
}

// noteAssignmentToNewUser warns when the user of a planned grant is a new
// user whose roles portal_partner_user.roles sets (noteNewAuthoritativeUser),
// unless noteAssignment warned already. It reads the user only when this run
// plans such users.
func (d *providerData) noteAssignmentToNewUser(ctx context.Context, partnerID, userID string, at path.Path, diags *diag.Diagnostics) {
	d.ownersMu.Lock()
	pending := len(d.newOwners) > 0 && (d.owners[userID] == nil || !d.owners[userID].authoritative)
	d.ownersMu.Unlock()
	if !pending {
		return
	}
	u, err := d.users.get(ctx, d.client, partnerID, userID)
	if err != nil {
		// The grant's own apply reports a user that cannot be read; but a
		// refused token's first error is reported in full only once.
		if firstRefusal(err) {
			addAPIError(diags, "Unable to read the user of the grant", "user "+userID+" of partner "+partnerID, err)
		}
		return
	}
	d.ownersMu.Lock()
	managed := d.newOwners[partnerID+"/"+api.NormalizeEmail(u.Email)]
	d.ownersMu.Unlock()
	if managed {
		diags.AddAttributeWarning(at, "Roles managed twice", rolesManagedTwice(userID+" ("+u.Email+")"))
	}
}

func rolesManagedTwice(userID string) string {
	return fmt.Sprintf("User %s has its roles set by portal_partner_user.roles and also granted by portal_role_assignment. "+
		"roles on the user is authoritative: each apply would remove the assignments' roles, and the assignments would add them back. "+
		"Pick one: leave roles out of the portal_partner_user to manage grants one by one with portal_role_assignment, "+
		"or list every role in roles and remove the portal_role_assignment resources.", userID)
}

func rosterManagedTwice(userID string) string {
	return fmt.Sprintf("User %s has its roles set by a portal_partner_roster (its users[...].roles) and also by another resource "+
		"(portal_partner_user.roles or portal_role_assignment). The roster's roles are authoritative: each apply would undo the other's. "+
		"Manage each person in one place: leave roles out of the roster's entry, or remove the other resource (a removed block keeps the user).", userID)
}
