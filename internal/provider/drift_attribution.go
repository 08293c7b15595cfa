package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// Drift attributed: when a refresh finds a user changed outside Terraform
// (roles, names, phone, or removed), the plan carries a warning on that
// resource saying what changed and, from the partner's audit trail, who
// changed it, when, and in which request. The trail is read only once some
// drift is found, newest first and page by page, as one paginated read per
// partner per run that every refresh shares: a refresh whose change is not
// among the events read so far reads on from where the last one stopped.
// It never fails the plan: a token without audit.read gets one warning
// that says so.

// auditPageSize is the page size of the trail's read; auditMaxPages bounds
// it (10,000 events) when a change has no event, as for a change older than
// the trail keeps.
const (
	auditPageSize = 500
	auditMaxPages = 20
)

// auditTrail is the run's shared read of each partner's audit trail.
type auditTrail struct {
	mu       sync.Mutex
	partners map[string]*partnerAudit
}

type partnerAudit struct {
	mu     sync.Mutex // one reader at a time: the read goes on from where it stopped
	events []api.AuditEvent
	next   string // the next page's token
	pages  int
	done   bool  // read to the end, or as far as auditMaxPages
	err    error // the read failed; every later lookup gets it
	warned bool  // the failure was reported
}

func (t *auditTrail) partner(partnerID string) *partnerAudit {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.partners == nil {
		t.partners = map[string]*partnerAudit{}
	}
	pa, ok := t.partners[partnerID]
	if !ok {
		pa = &partnerAudit{}
		t.partners[partnerID] = pa
	}
	return pa
}

// drift is one attribute changed outside Terraform.
type drift struct {
	attr    string // the attribute, which is also the field of the audit event's before and after
	was, is string
}

// userDrift is what changed between the user in state and as refreshed.
func userDrift(state, now userModel) []drift {
	if state.Status.IsNull() || state.Status.IsUnknown() {
		return nil // an import or a new user: nothing to compare with
	}
	var out []drift
	text := func(attr string, was, is types.String) {
		// Compared as text: a phone read as null where state has "" (or
		// the other way round) is not a change anyone made.
		if was.ValueString() != is.ValueString() {
			out = append(out, drift{attr: attr, was: was.String(), is: is.String()})
		}
	}
	text("first_name", state.FirstName, now.FirstName)
	text("last_name", state.LastName, now.LastName)
	text("phone", state.Phone, now.Phone)
	if !state.Roles.IsNull() && !state.Roles.IsUnknown() && !state.Roles.Equal(now.Roles) {
		out = append(out, drift{attr: "roles", was: setText(state.Roles.Elements()), is: setText(now.Roles.Elements())})
	}
	// Status moves by itself (a person setting their password, access
	// ending): only a removal is a change someone made (removedDrift).
	return out
}

// removedDrift is the drift of a user in state whose account was removed.
func removedDrift(status types.String) []drift {
	if status.IsNull() || status.IsUnknown() {
		return nil
	}
	return []drift{{attr: "status", was: status.ValueString(), is: api.UserDeleted}}
}

// setText is a set's elements, sorted, as "a, b", or "none".
func setText[V fmt.Stringer](elems []V) string {
	s := make([]string, 0, len(elems))
	for _, e := range elems {
		s = append(s, e.String())
	}
	slices.Sort(s)
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// warnDrift adds the warning of a user changed outside Terraform: what
// changed and, from the audit trail, who did it. what names the user, and
// email is in the summary: Terraform folds warnings with the same summary
// into one, which would hide all but the first user.
func (d *providerData) warnDrift(ctx context.Context, partnerID, userID, email, what string, changes []drift, diags *diag.Diagnostics) {
	if len(changes) == 0 {
		return
	}
	parts := make([]string, len(changes))
	attrs := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%s: %s → %s", c.attr, c.was, c.is)
		attrs[i] = c.attr
	}
	detail := fmt.Sprintf("%s was changed outside Terraform: %s.", what, strings.Join(parts, "; "))
	ev, own, err := d.auditEventFor(ctx, partnerID, userID, attrs)
	switch {
	case own:
		// The roles changed by the API token's own grant or revocation
		// (another resource of this configuration): the rest may still be
		// a change by hand.
		d.warnDrift(ctx, partnerID, userID, email, what, slices.DeleteFunc(slices.Clone(changes), func(c drift) bool { return c.attr == "roles" }), diags)
		return
	case errors.Is(err, errAuditReported):
		detail += " Who changed it is not known: the audit trail could not be read (see the warning about it)."
	case err != nil:
		diags.AddWarning("Cannot say who changed access outside Terraform", auditReadFailed(partnerID, err))
		detail += " Who changed it is not known: the audit trail could not be read."
	case ev == nil:
		detail += fmt.Sprintf(" No event of the partner's audit trail (the latest %d read) records the change.", auditPageSize*auditMaxPages)
	default:
		detail += fmt.Sprintf(" Changed by %s at %s (%s, request %s, audit event %s).", actorName(ev.Actor), ev.Time.UTC().Format(time.RFC3339), ev.Action, ev.RequestID, ev.ID)
	}
	diags.AddWarning(email+" changed outside Terraform", detail+" Where the configuration sets what changed, the plan puts it back: apply it to undo the change, or change the configuration to keep it. "+
		"What the configuration leaves to the portal is only read into state.")
}

// errAuditReported is auditEventFor's error once the trail's failure has
// been reported, so that a run says it once.
var errAuditReported = errors.New("the audit trail could not be read; reported once")

// auditEventFor is the newest event of the partner's audit trail that
// changed one of attrs of the user, or removed it, reading the trail on
// as far as needed; own when that is the API token's own grant or
// revocation of a role (what portal_role_assignment does).
func (d *providerData) auditEventFor(ctx context.Context, partnerID, userID string, attrs []string) (ev *api.AuditEvent, own bool, err error) {
	pa := d.audit.partner(partnerID)
	pa.mu.Lock()
	defer pa.mu.Unlock()
	for i := 0; ; {
		for ; i < len(pa.events); i++ {
			if e := &pa.events[i]; e.TargetType == api.TargetUser && e.TargetID == userID && changesAny(e, attrs) {
				return e, d.ownGrant(ctx, e), nil
			}
		}
		switch {
		case pa.err != nil && pa.warned:
			return nil, false, errAuditReported
		case pa.err != nil:
			pa.warned = true
			return nil, false, pa.err
		case pa.done:
			return nil, false, nil
		}
		page, err := throughRefusal(&d.auth, func() (*api.AuditEventList, error) {
			return d.client.Audit.List(ctx, partnerID, api.AuditListOptions{PageSize: auditPageSize, PageToken: pa.next})
		})
		if err != nil {
			pa.err = err
			continue
		}
		pa.events = append(pa.events, page.Events...)
		pa.next, pa.pages = page.NextPageToken, pa.pages+1
		pa.done = pa.next == "" || pa.pages >= auditMaxPages
	}
}

// changesAny reports whether an event of a user changes one of attrs, or removes the user.
func changesAny(e *api.AuditEvent, attrs []string) bool {
	if e.Action == api.AuditUserDeleted {
		return slices.Contains(attrs, "status")
	}
	for _, a := range attrs {
		if a != "status" && e.Before != nil && e.After != nil && !reflect.DeepEqual(e.Before[a], e.After[a]) {
			return true
		}
	}
	return false
}

// ownGrant reports whether an event is a grant or revocation of a role by
// the API token's own identity.
func (d *providerData) ownGrant(ctx context.Context, e *api.AuditEvent) bool {
	if e.Action != api.AuditUserRoleGranted && e.Action != api.AuditUserRoleRevoked {
		return false
	}
	me, err := d.whoAmI(ctx)
	return err == nil && (e.Actor.ID == me.UserID || e.Actor.ID == me.TokenID)
}

// actorName is who made a change: the person's email, or the operator token.
func actorName(a api.Actor) string {
	switch {
	case a.Email != "":
		return a.Email
	case a.Type == "operator":
		return "operator token " + a.ID
	case a.Type == "public":
		return "the person, following an emailed link"
	}
	return a.Type + " " + a.ID
}

// auditReadFailed explains why no change can be attributed.
func auditReadFailed(partnerID string, err error) string {
	msg := fmt.Sprintf("Some users of partner %s were changed outside Terraform, and the provider cannot say by whom: reading the partner's audit trail failed: %v.", partnerID, err)
	if errors.Is(err, client.ErrForbidden) || errors.Is(err, client.ErrNotFound) {
		msg += " The API token needs the permission audit.read (held by manager and above) to name who made a change. This does not stop the plan."
	}
	return msg
}
