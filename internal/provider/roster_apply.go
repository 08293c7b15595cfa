package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// How the roster reads and writes its people: a refresh from the partner's
// one listing, the changes from state to plan as batch operations, sent in
// chunks a few at a time, and the state as what succeeded.

// rosterParallel is how many batch requests a roster sends at once; the
// client's pacer keeps them within the token's rate.
const rosterParallel = 4

// refreshRoster is the roster as the portal has it: each person of prior
// read from users (by id), those gone or removed left out (so the plan
// adds them back), and with exclusive, every other user that is not removed
// and not spared added under their email (so the plan removes them). It
// returns the people and their versions by user id.
func refreshRoster(ctx context.Context, prior map[string]rosterUserModel, users map[string]api.User, exclusive bool, spare func(api.User) bool) (map[string]rosterUserModel, map[string]int64, diag.Diagnostics) {
	var diags diag.Diagnostics
	next := make(map[string]rosterUserModel, len(prior))
	versions := make(map[string]int64, len(prior))
	inRoster := make(map[string]bool, len(prior))
	for key, p := range prior {
		u, ok := users[p.ID.ValueString()]
		if !ok || u.Status == api.UserDeleted || api.NormalizeEmail(u.Email) != api.NormalizeEmail(key) {
			// Removed by hand, or now another login: no longer this person.
			continue
		}
		el, d := rosterElementFromAPI(ctx, p, u)
		diags.Append(d...)
		next[key] = el
		versions[u.ID] = u.Version
		inRoster[u.ID] = true
	}
	if !exclusive {
		return next, versions, diags
	}
	for _, id := range sortedKeys(users) {
		u := users[id]
		if inRoster[id] || u.Status == api.UserDeleted || spare(u) {
			continue
		}
		if _, taken := next[u.Email]; taken {
			continue
		}
		el, d := rosterElementFromAPI(ctx, rosterUserModel{}, u)
		diags.Append(d...)
		next[u.Email] = el
		versions[u.ID] = u.Version
	}
	return next, versions, diags
}

// spareFromExclusive tells the users an exclusive roster never takes in to
// remove: the API token's own account, and the partner's only owner.
func spareFromExclusive(users map[string]api.User, tokenUserID string) func(api.User) bool {
	owners := 0
	for _, u := range users {
		if u.Status != api.UserDeleted && slices.Contains(u.Roles, api.RoleOwner) {
			owners++
		}
	}
	return func(u api.User) bool {
		return u.ID == tokenUserID || (owners == 1 && slices.Contains(u.Roles, api.RoleOwner))
	}
}

// rosterElementFromAPI is a person as the portal has them (as the data
// sources show them), over prior (which keeps access_expires_at as written
// when it is the same instant, and a phone written "" for none).
func rosterElementFromAPI(ctx context.Context, prior rosterUserModel, u api.User) (rosterUserModel, diag.Diagnostics) {
	d, diags := userDataFromAPI(ctx, &u)
	return rosterUserModel{ID: d.ID, FirstName: d.FirstName, LastName: d.LastName, Phone: phoneValue(prior.Phone, u.Phone), Roles: d.Roles, Permissions: prior.Permissions,
		AccessExpiresAt: keepInstant(prior.AccessExpiresAt, u.AccessExpiresAt), Status: d.Status}, diags
}

// Kinds of change of one person.
const (
	rosterCreate  = "create"
	rosterUpdate  = "update"
	rosterRemove  = "remove"
	rosterRestore = "restore"
)

// rosterChange is one person's change: its operation, the person's key
// (in the plan for a create or update, in state for a removal) and, but for
// a create, the person as state holds them.
type rosterChange struct {
	kind     string
	key      string
	priorKey string
	prior    *rosterUserModel
	op       api.UserBatchOperation
}

// planRosterChanges are the operations that take the portal from prior
// (state) to planned: a create for each new person, an update with the
// version read at refresh for each that differs (matched by login, so a key
// written another way is the same person), a removal for each person no
// longer planned, unless their login is released (the roster lets go of
// them as they are). People that do not change get no operation.
//
// adopted holds, by id, the users of the partner that the plan adopts, as
// the portal has them now: an adopted person is updated only in what the
// plan changes, and not at all when nothing differs.
func planRosterChanges(ctx context.Context, prior, planned, adopted map[string]rosterUserModel, released map[string]bool, versions map[string]int64) ([]rosterChange, diag.Diagnostics) {
	var diags diag.Diagnostics
	var changes []rosterChange
	byLogin := loginIndex(prior)
	matched := map[string]bool{}
	for _, key := range sortedKeys(planned) {
		el := planned[key]
		priorKey, found := byLogin[api.NormalizeEmail(key)]
		if !found && el.ID.ValueString() != "" {
			// A user of the partner the plan adopts: updated to the plan.
			id := el.ID.ValueString()
			var was *userModel
			if a, ok := adopted[id]; ok {
				m := asUserModel(key, a)
				was = &m
			}
			upd, d := userUpdateFromModel(ctx, asUserModel(key, el), was)
			diags.Append(d...)
			upd.Email = nil
			if upd == (api.UserUpdate{}) {
				continue // adopted as it is: nothing to send
			}
			changes = append(changes, rosterChange{kind: rosterUpdate, key: key,
				op: api.UserBatchOperation{Op: api.BatchUpdate, UserID: id, Version: versions[id], Update: &upd}})
			continue
		}
		if !found {
			c, d := userCreateFromModel(ctx, asUserModel(key, el))
			diags.Append(d...)
			changes = append(changes, rosterChange{kind: rosterCreate, key: key, op: api.UserBatchOperation{Op: api.BatchCreate, Create: &c}})
			continue
		}
		matched[priorKey] = true
		p := prior[priorKey]
		was := asUserModel(priorKey, p)
		upd, d := userUpdateFromModel(ctx, asUserModel(key, el), &was)
		diags.Append(d...)
		upd.Email = nil // the same login: a key written another way changes nothing in the portal
		if upd == (api.UserUpdate{}) {
			continue
		}
		id := p.ID.ValueString()
		changes = append(changes, rosterChange{kind: rosterUpdate, key: key, priorKey: priorKey, prior: &p,
			op: api.UserBatchOperation{Op: api.BatchUpdate, UserID: id, Version: versions[id], Update: &upd}})
	}
	for _, key := range sortedKeys(prior) {
		if matched[key] || released[api.NormalizeEmail(key)] {
			continue
		}
		p := prior[key]
		id := p.ID.ValueString()
		changes = append(changes, rosterChange{kind: rosterRemove, key: key, priorKey: key, prior: &p,
			op: api.UserBatchOperation{Op: api.BatchDelete, UserID: id, Version: versions[id]}})
	}
	return changes, diags
}

// asUserModel is a person of the roster as portal_partner_user's model, to
// build its requests with that resource's functions.
func asUserModel(key string, el rosterUserModel) userModel {
	return userModel{ID: el.ID, Email: types.StringValue(key), FirstName: el.FirstName, LastName: el.LastName, Phone: el.Phone,
		Roles: el.Roles, AccessExpiresAt: el.AccessExpiresAt}
}

// rosterOutcome is what became of one change: the user as written (none
// for a removal, or when nothing was written), and its error, if any. A
// restored user whose update failed has both.
type rosterOutcome struct {
	user *api.User
	err  error
	// whole marks the error of the whole request the change was sent in.
	whole bool
}

// apply makes the portal hold planned instead of prior and returns the
// people as they are after it: what succeeded as written, what failed as it
// was (a failed create absent). Each failure is an error on its person.
// versions are updated in place.
func (r *rosterResource) apply(ctx context.Context, m rosterModel, prior, planned map[string]rosterUserModel, versions map[string]int64, diags *diag.Diagnostics) map[string]rosterUserModel {
	pid := m.PartnerID.ValueString()
	adopted := r.adoptedUsers(ctx, pid, prior, planned, versions, diags)
	changes, d := planRosterChanges(ctx, prior, planned, adopted, releasedLogins(m), versions)
	diags.Append(d...)
	if diags.HasError() {
		return prior
	}
	outcomes := r.send(ctx, pid, changes)
	if m.RestoreIfDeleted.ValueBool() {
		r.restoreRemoved(ctx, pid, planned, changes, outcomes)
	}
	next, d := rosterState(ctx, planned, changes, outcomes, versions)
	diags.Append(d...)
	return next
}

// adoptedUsers reads, through the shared index, the users of the partner
// that the plan adopts (planned with an id, not in state), and notes their
// versions for If-Match.
func (r *rosterResource) adoptedUsers(ctx context.Context, pid string, prior, planned map[string]rosterUserModel, versions map[string]int64, diags *diag.Diagnostics) map[string]rosterUserModel {
	byLogin := loginIndex(prior)
	adopted := map[string]rosterUserModel{}
	for _, key := range sortedKeys(planned) {
		el := planned[key]
		id := el.ID.ValueString()
		if _, found := byLogin[api.NormalizeEmail(key)]; found || id == "" {
			continue
		}
		u, err := r.data.users.get(ctx, r.data.client, pid, id)
		if addAPIError(diags, "Unable to read a user the roster adopts", "user "+id+" ("+key+") of partner "+pid, err,
			defaultAttribute(path.Root("users").AtMapKey(key))) {
			continue
		}
		a, d := rosterElementFromAPI(ctx, el, *u)
		diags.Append(d...)
		adopted[id], versions[id] = a, u.Version
	}
	return adopted
}

// send sends the changes' operations in batches of api.MaxBatchOperations,
// rosterParallel at once, and returns each change's outcome, in order.
func (r *rosterResource) send(ctx context.Context, pid string, changes []rosterChange) []rosterOutcome {
	ops := make([]api.UserBatchOperation, len(changes))
	for i, c := range changes {
		ops[i] = c.op
	}
	return sendBatches(ctx, pid, ops, func(ctx context.Context, ops []api.UserBatchOperation) (*api.UserBatchResult, error) {
		res, err := r.data.client.Users.Batch(ctx, pid, ops)
		if err == nil && len(res.Results) == len(ops) {
			for i, item := range res.Results {
				switch {
				case item.User != nil && item.Problem == nil:
					r.data.users.wrote(item.User)
				case ops[i].UserID != "":
					r.data.users.changed(pid, ops[i].UserID)
				}
			}
		}
		return res, err
	})
}

// sendBatches is send with the request made by batch.
func sendBatches(ctx context.Context, pid string, ops []api.UserBatchOperation, batch func(context.Context, []api.UserBatchOperation) (*api.UserBatchResult, error)) []rosterOutcome {
	outcomes := make([]rosterOutcome, len(ops))
	sem := make(chan struct{}, rosterParallel)
	var wg sync.WaitGroup
	for start := 0; start < len(ops); start += api.MaxBatchOperations {
		end := min(start+api.MaxBatchOperations, len(ops))
		wg.Add(1)
		sem <- struct{}{}
		go func(start, end int) {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := batch(ctx, ops[start:end])
			if err == nil && len(res.Results) != end-start {
				err = fmt.Errorf("the users batch of partner %s answered %d results for %d operations", pid, len(res.Results), end-start)
			}
			for i := start; i < end; i++ {
				if err != nil {
					outcomes[i] = rosterOutcome{err: err, whole: true}
					continue
				}
				outcomes[i] = outcomeOf(ops[i], res.Results[i-start], pid)
			}
		}(start, end)
	}
	wg.Wait()
	return outcomes
}

// outcomeOf reads one result of a batch: a removal of a user that is gone
// already succeeded.
func outcomeOf(op api.UserBatchOperation, item api.UserBatchItem, pid string) rosterOutcome {
	err := client.BatchItemError(pid, item)
	switch {
	case err == nil:
		return rosterOutcome{user: item.User}
	case op.Op == api.BatchDelete && errors.Is(err, client.ErrNotFound):
		return rosterOutcome{}
	}
	return rosterOutcome{err: err}
}

// restoreRemoved brings back, for restore_if_deleted, each person whose
// create failed because the email belongs to a removed account of the
// partner: a batch of restores, then one of updates to the plan. The
// outcome becomes the restored user, with the update's error if it failed.
func (r *rosterResource) restoreRemoved(ctx context.Context, pid string, planned map[string]rosterUserModel, changes []rosterChange, outcomes []rosterOutcome) {
	var idx []int
	var ops []api.UserBatchOperation
	for i, c := range changes {
		apiErr, ok := client.AsAPIError(outcomes[i].err)
		if c.kind == rosterCreate && ok && apiErr.Code == api.CodeUserDeleted && apiErr.Problem.RestorableUserID != "" {
			idx = append(idx, i)
			ops = append(ops, api.UserBatchOperation{Op: api.BatchRestore, UserID: apiErr.Problem.RestorableUserID})
		}
	}
	if len(ops) == 0 {
		return
	}
	restored := r.send(ctx, pid, asChanges(ops))
	var upIdx []int
	var upOps []api.UserBatchOperation
	for j, o := range restored {
		i := idx[j]
		if o.err != nil || o.user == nil {
			outcomes[i] = rosterOutcome{err: o.err, whole: o.whole}
			continue
		}
		outcomes[i] = rosterOutcome{user: o.user}
		upd, _ := userUpdateFromModel(ctx, asUserModel(changes[i].key, planned[changes[i].key]), nil)
		upIdx = append(upIdx, i)
		upOps = append(upOps, api.UserBatchOperation{Op: api.BatchUpdate, UserID: o.user.ID, Version: o.user.Version, Update: &upd})
	}
	for j, o := range r.send(ctx, pid, asChanges(upOps)) {
		i := upIdx[j]
		if o.err != nil {
			outcomes[i].err, outcomes[i].whole = fmt.Errorf("restored as user %s, but not updated to the configuration (the next apply retries): %w", outcomes[i].user.ID, o.err), o.whole
			continue
		}
		outcomes[i].user = o.user
	}
}

func asChanges(ops []api.UserBatchOperation) []rosterChange {
	out := make([]rosterChange, len(ops))
	for i, op := range ops {
		out[i] = rosterChange{op: op}
	}
	return out
}

// rosterState is the roster after its changes: a person with no change as
// planned; a change that wrote a user as planned, with what the plan left
// unknown (ids, status, what is not configured) from the user written; a
// failed change as state had the person, or absent for a failed create. A
// restored user not updated is in state as the portal has it. Each failure
// is an error on its person. versions are updated in place.
func rosterState(ctx context.Context, planned map[string]rosterUserModel, changes []rosterChange, outcomes []rosterOutcome, versions map[string]int64) (map[string]rosterUserModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	next := make(map[string]rosterUserModel, len(planned))
	changed := map[string]bool{}
	for _, c := range changes {
		changed[c.key] = true
	}
	for key, el := range planned {
		if !changed[key] {
			next[key] = el
		}
	}
	var whole []string
	var wholeErr error
	for i, c := range changes {
		o := outcomes[i]
		switch {
		case c.kind == rosterRemove && o.err == nil:
			delete(versions, c.prior.ID.ValueString())
		case o.user != nil && o.err == nil:
			el, d := mergeWritten(ctx, planned[c.key], *o.user)
			diags.Append(d...)
			next[c.key] = el
			versions[o.user.ID] = o.user.Version
		case o.user != nil:
			el, d := rosterElementFromAPI(ctx, planned[c.key], *o.user)
			diags.Append(d...)
			next[c.key] = el
			versions[o.user.ID] = o.user.Version
		case c.prior != nil:
			next[c.priorKey] = *c.prior
		}
		if o.err == nil {
			continue
		}
		if o.whole {
			whole, wholeErr = append(whole, c.key), o.err
			continue
		}
		addRosterError(&diags, c, o.err)
	}
	if len(whole) > 0 {
		shown := whole[:min(len(whole), 10)]
		more := ""
		if len(whole) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(whole)-len(shown))
		}
		addAPIError(&diags, "Unable to apply changes to the roster", fmt.Sprintf("changing %d people (%s%s)", len(whole), strings.Join(shown, ", "), more),
			wholeErr, defaultAttribute(path.Root("users")), withHint("Those people are kept in state as they were; the next plan shows their changes again."))
	}
	return next, diags
}

// mergeWritten is a planned person after the write: what the plan knows as
// planned (so state is what the plan said), what it left unknown from u.
func mergeWritten(ctx context.Context, el rosterUserModel, u api.User) (rosterUserModel, diag.Diagnostics) {
	w, diags := rosterElementFromAPI(ctx, el, u)
	for _, f := range []struct{ plan, written *types.String }{
		{&el.ID, &w.ID}, {&el.FirstName, &w.FirstName}, {&el.LastName, &w.LastName}, {&el.Phone, &w.Phone}, {&el.Status, &w.Status},
		{&el.AccessExpiresAt, &w.AccessExpiresAt},
	} {
		if f.plan.IsUnknown() {
			*f.plan = *f.written
		}
	}
	if el.Roles.IsUnknown() {
		el.Roles = w.Roles
	}
	return el, diags
}

// addRosterError reports one person's failed change on users[key], or on
// the attribute the portal's field error names, with the problem code and
// request id.
func addRosterError(diags *diag.Diagnostics, c rosterChange, err error) {
	summary := map[string]string{rosterCreate: "Unable to create partner user", rosterUpdate: "Unable to update partner user",
		rosterRemove: "Unable to remove partner user"}[c.kind]
	object := fmt.Sprintf("users[%q]", c.key)
	if c.prior != nil {
		object += " (user " + c.prior.ID.ValueString() + ")"
	}
	detail, field := describeError(object, err)
	at := path.Root("users").AtMapKey(c.key)
	for _, a := range rosterElementAttributes {
		if field == a {
			at = at.AtName(a)
		}
	}
	apiErr, _ := client.AsAPIError(err)
	switch {
	case errors.Is(err, client.ErrPreconditionFailed):
		detail += "\n\n" + changedSinceRead("user")
	case apiErr != nil && apiErr.Code == api.CodeEmailTaken:
		detail += "\n\nThis email is already a user of the portal. If it is a user of this partner, adopt the whole roster with " +
			"`terraform import` (by partner id) or remove the person from this roster."
	case apiErr != nil && apiErr.Code == api.CodeUserDeleted:
		detail += "\n\nThis email belongs to a removed account. Set restore_if_deleted = true on the roster to restore that account " +
			"with its history and update it to this configuration."
	}
	diags.AddAttributeError(at, summary, detail)
}

// checkAccessEnd fails the plan for an access end that has passed, when set
// or changed (an end that passed since is the user's expiry, not a change).
func checkAccessEnd(plan, prior types.String, creating bool, at path.Path, diags *diag.Diagnostics) {
	t, ok := parseInstant(plan)
	if !ok || (!creating && sameInstantValue(plan, prior)) || t.After(time.Now()) {
		return
	}
	diags.AddAttributeError(at, "Access end in the past",
		fmt.Sprintf("access_expires_at = %q has already passed, and the portal only takes an end of access in the future. "+
			"Set a later time, or leave access_expires_at out for access that does not end.", plan.ValueString()))
}
