package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// Within one plan, the provider process sees every resource it plans. It
// notes which users have their roles set authoritatively by
// portal_partner_user.roles and which get grants from portal_role_assignment,
// so that a user managed both ways gets a warning from whichever resource is
// planned second: the two would undo each other on every apply.

type roleOwnership struct {
	authoritative bool
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
	n := len(o.assigned)
	d.ownersMu.Unlock()
	if n > 0 {
		diags.AddAttributeWarning(at, "Roles managed twice", rolesManagedTwice(userID))
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
	authoritative := o.authoritative
	d.ownersMu.Unlock()
	if authoritative {
		diags.AddAttributeWarning(at, "Roles managed twice", rolesManagedTwice(userID))
	}
}

func rolesManagedTwice(userID string) string {
	return fmt.Sprintf("User %s has its roles set by portal_partner_user.roles and also granted by portal_role_assignment. "+
		"roles on the user is authoritative: each apply would remove the assignments' roles, and the assignments would add them back. "+
		"Pick one: leave roles out of the portal_partner_user to manage grants one by one with portal_role_assignment, "+
		"or list every role in roles and remove the portal_role_assignment resources.", userID)
}
