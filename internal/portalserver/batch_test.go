package portalserver_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// The users batch, POST /v1/partners/{partner_id}/users/batch: each
// operation answered on its own with the rules of its single-user route.

func (w *world) batchPath() string { return w.usersPath(w.PartnerID) + "/batch" }

// batch sends a batch as token, wants 200 and returns its results.
func (w *world) batch(token string, ops []api.UserBatchOperation, headers ...string) ([]api.UserBatchItem, http.Header) {
	w.t.Helper()
	res := w.Do(w.t, token, http.MethodPost, w.batchPath(), api.UserBatch{Operations: ops}, headers...)
	wantStatus(w.t, res, http.StatusOK)
	var out api.UserBatchResult
	res.Decode(w.t, &out)
	if len(out.Results) != len(ops) {
		w.t.Fatalf("%d results for %d operations: %s", len(out.Results), len(ops), res.Body)
	}
	return out.Results, res.Header
}

// batchEmails are the emails of Acme's users, removed ones included.
func (w *world) batchEmails() []string {
	w.t.Helper()
	var list api.UserList
	w.Do(w.t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?include_deleted=true&page_size=500", nil).Decode(w.t, &list)
	var out []string
	for _, u := range list.Users {
		out = append(out, u.Email)
	}
	return out
}

// batchEvents are Acme's audit events that a request recorded.
func (w *world) batchEvents(requestID string) []api.AuditEvent {
	w.t.Helper()
	var out []api.AuditEvent
	path := "/v1/partners/" + w.PartnerID + "/audit-events?page_size=500"
	for next := path; next != ""; {
		var list api.AuditEventList
		w.Do(w.t, w.OwnerToken, http.MethodGet, next, nil).Decode(w.t, &list)
		for _, e := range list.Events {
			if e.RequestID == requestID {
				out = append(out, e)
			}
		}
		next = ""
		if list.NextPageToken != "" {
			next = path + "&page_token=" + list.NextPageToken
		}
	}
	return out
}

func (w *world) getUser(id string) api.User {
	w.t.Helper()
	var u api.User
	w.Do(w.t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+id, nil).Decode(w.t, &u)
	return u
}

func create(email string, roles ...string) api.UserBatchOperation {
	return api.UserBatchOperation{Op: api.BatchCreate, Create: &api.UserCreate{Email: email, Roles: roles}}
}

// wantItem checks one result's status and, for a problem, its code, its
// field errors (exactly these) and its request id.
func wantItem(t *testing.T, i int, got api.UserBatchItem, status int, code, requestID string, fields ...string) {
	t.Helper()
	if got.Status != status {
		t.Errorf("results[%d]: status %d, want %d: %+v %+v", i, got.Status, status, got.User, got.Problem)
		return
	}
	if status >= 400 {
		p := got.Problem
		if p == nil || got.User != nil {
			t.Errorf("results[%d]: %d with user %+v and problem %+v, want a problem alone", i, status, got.User, p)
			return
		}
		var have []string
		for _, e := range p.Errors {
			have = append(have, e.Field)
		}
		if p.Code != code || p.Status != status || p.RequestID != requestID || !slices.Equal(have, fields) {
			t.Errorf("results[%d]: problem %+v; want code %s, request_id %s, fields %v", i, p, code, requestID, fields)
		}
		return
	}
	if got.Problem != nil || (status == http.StatusNoContent) != (got.User == nil) {
		t.Errorf("results[%d]: %d with user %+v and problem %+v", i, status, got.User, got.Problem)
	}
}

func TestBatchAppliesTheGoodOperationsAndAnswersEachBadOne(t *testing.T) {
	w := newWorld(t)
	taken := w.user(w.PartnerID, "taken@acme.test", api.RoleMember)
	stale := w.user(w.PartnerID, "stale@acme.test", api.RoleMember)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+stale.ID, api.UserUpdate{LastName: ptr("Old")}), http.StatusOK)
	globex, globexOwner := w.partner("Globex", "boss@globex.test")
	foreign := w.user(globex, "someone@globex.test", api.RoleMember)
	later := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	temp := w.user(w.PartnerID, "temp@acme.test")
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+temp.ID, api.UserUpdate{AccessExpiresAt: &later}), http.StatusOK)
	before := w.batchEmails()

	ops := []api.UserBatchOperation{
		{Op: api.BatchCreate, Create: &api.UserCreate{Email: "ana@acme.test", FirstName: "Ana", Phone: "+14155550123", Roles: []string{api.RoleMember}}},
		{Op: api.BatchCreate, Create: &api.UserCreate{Email: "bo@acme.test", Phone: "+1"}},
		create("cy@acme.test", api.RoleMember, "wizard"),
		create("TAKEN@Acme.test"),
		{Op: api.BatchUpdate, UserID: stale.ID, Version: 1, Update: &api.UserUpdate{FirstName: ptr("Stan")}},
		{Op: api.BatchUpdate, UserID: stale.ID, Version: 2, Update: &api.UserUpdate{FirstName: ptr("Stan")}},
		{Op: api.BatchDelete, UserID: w.OwnerID},
		{Op: api.BatchDelete, UserID: foreign.ID},
		{Op: api.BatchUpdate, UserID: foreign.ID, Update: &api.UserUpdate{FirstName: ptr("Mine")}},
		{Op: api.BatchDelete, UserID: taken.ID, Version: taken.Version},
		{Op: api.BatchRestore, UserID: taken.ID},
		{Op: api.BatchUpdate, Update: &api.UserUpdate{FirstName: ptr("Nobody")}},
		{Op: api.BatchUpdate, UserID: temp.ID, Update: &api.UserUpdate{ClearAccessExpiry: true}},
		create("ana@ACME.test"), // the first operation took it
	}
	res, hdr := w.batch(w.OwnerToken, ops, "X-Request-Id", "batch-mixed-1")
	if hdr.Get("X-Request-Id") != "batch-mixed-1" {
		t.Fatalf("X-Request-Id %q", hdr.Get("X-Request-Id"))
	}
	rid := "batch-mixed-1"
	wantItem(t, 0, res[0], http.StatusCreated, "", rid)
	wantItem(t, 1, res[1], http.StatusUnprocessableEntity, api.CodeValidationFailed, rid, "phone")
	wantItem(t, 2, res[2], http.StatusUnprocessableEntity, api.CodeValidationFailed, rid, "roles[1]")
	wantItem(t, 3, res[3], http.StatusConflict, api.CodeEmailTaken, rid, "email")
	wantItem(t, 4, res[4], http.StatusPreconditionFailed, api.CodePreconditionFailed, rid)
	wantItem(t, 5, res[5], http.StatusOK, "", rid)
	wantItem(t, 6, res[6], http.StatusConflict, api.CodeLastOwner, rid)
	wantItem(t, 7, res[7], http.StatusNotFound, api.CodeNotFound, rid)
	wantItem(t, 8, res[8], http.StatusNotFound, api.CodeNotFound, rid)
	wantItem(t, 9, res[9], http.StatusNoContent, "", rid)
	wantItem(t, 10, res[10], http.StatusOK, "", rid)
	wantItem(t, 11, res[11], http.StatusBadRequest, api.CodeInvalidRequest, rid, "user_id")
	wantItem(t, 12, res[12], http.StatusOK, "", rid)
	wantItem(t, 13, res[13], http.StatusConflict, api.CodeEmailTaken, rid, "email")

	if u := res[0].User; u == nil || u.Email != "ana@acme.test" || u.FirstName != "Ana" || u.Status != api.UserInvited || !slices.Equal(u.Roles, []string{api.RoleMember}) {
		t.Errorf("created %+v; want ana, invited, member", res[0].User)
	}
	if p := res[3].Problem; p != nil && p.UserID != taken.ID {
		t.Errorf("email_taken names %q, want %s", p.UserID, taken.ID)
	}
	if u := res[5].User; u == nil || u.FirstName != "Stan" || u.LastName != "Old" || u.Version != 3 {
		t.Errorf("updated %+v; want Stan Old at version 3", res[5].User)
	}
	if u := res[10].User; u == nil || u.Status != api.UserInvited || u.DeletedAt != nil || u.Version != taken.Version+2 {
		t.Errorf("restored %+v; want invited again at version %d", res[10].User, taken.Version+2)
	}
	if u := res[12].User; u == nil || u.AccessExpiresAt != nil {
		t.Errorf("clear_access_expiry answered %+v; want no access_expires_at", res[12].User)
	}
	var got api.User
	w.Do(t, globexOwner, http.MethodGet, w.usersPath(globex)+"/"+foreign.ID, nil).Decode(t, &got)
	if got.FirstName != "" || got.DeletedAt != nil || got.Version != foreign.Version {
		t.Errorf("another partner's user was changed: %+v", got)
	}
	after := w.batchEmails()
	if added := slices.DeleteFunc(slices.Clone(after), func(e string) bool { return slices.Contains(before, e) }); !slices.Equal(added, []string{"ana@acme.test"}) {
		t.Errorf("the batch added %v; want ana alone", added)
	}
	if w.lastMail("ana@acme.test").Kind != "password_setup" {
		t.Errorf("ana got no password link")
	}

	// One audit event per applied operation, with the batch's request id.
	var actions []string
	for _, e := range slices.Backward(w.batchEvents(rid)) {
		actions = append(actions, e.Action+" "+e.TargetID)
	}
	want := []string{api.AuditUserCreated + " " + res[0].User.ID, api.AuditUserUpdated + " " + stale.ID,
		api.AuditUserDeleted + " " + taken.ID, api.AuditUserRestored + " " + taken.ID, api.AuditUserUpdated + " " + temp.ID}
	if !slices.Equal(actions, want) {
		t.Errorf("audit events of the batch %v; want %v", actions, want)
	}
}

func TestBatchAppliesTheActorsRankAndCeilingPerOperation(t *testing.T) {
	w := newWorld(t)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	peer := w.user(w.PartnerID, "peer@acme.test", api.RoleAdmin)
	res, hdr := w.batch(admin, []api.UserBatchOperation{
		create("dee@acme.test", api.RoleMember, api.RoleAdmin),
		create("eve@acme.test", api.RoleManager),
		{Op: api.BatchUpdate, UserID: w.OwnerID, Update: &api.UserUpdate{FirstName: ptr("Boss")}},
		{Op: api.BatchDelete, UserID: peer.ID},
	})
	rid := hdr.Get("X-Request-Id")
	wantItem(t, 0, res[0], http.StatusForbidden, api.CodeRoleAboveCeiling, rid, "roles[1]")
	wantItem(t, 1, res[1], http.StatusCreated, "", rid)
	wantItem(t, 2, res[2], http.StatusForbidden, api.CodeInsufficientRank, rid)
	wantItem(t, 3, res[3], http.StatusForbidden, api.CodeInsufficientRank, rid)
	if p := res[0].Problem; p != nil && (p.CeilingRank != api.RankManager || p.ActorRole != api.RoleAdmin) {
		t.Errorf("role_above_ceiling %+v; want ceiling_rank 60 and actor_role admin", p)
	}
	if emails := w.batchEmails(); slices.Contains(emails, "dee@acme.test") || !slices.Contains(emails, "eve@acme.test") {
		t.Errorf("users %v; want eve and not dee", emails)
	}
}

func TestBatchIsRefusedWholeForTheTenantThePermissionAndTheSetting(t *testing.T) {
	w := newWorld(t)
	_, member := w.actor("member@acme.test", api.RoleMember)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	_, globexOwner := w.partner("Globex", "boss@globex.test")
	body := api.UserBatch{Operations: []api.UserBatchOperation{create("new@acme.test")}}
	wantProblem(t, w.Do(t, member, http.MethodPost, w.batchPath(), body), http.StatusForbidden, api.CodeForbidden)
	wantProblem(t, w.Do(t, globexOwner, http.MethodPost, w.batchPath(), body), http.StatusNotFound, api.CodeNotFound)
	wantProblem(t, w.Do(t, "", http.MethodPost, w.batchPath(), body), http.StatusUnauthorized, api.CodeUnauthenticated)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, "/v1/partners/"+w.PartnerID,
		api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleOwner}}), http.StatusOK)
	p := wantProblem(t, w.Do(t, manager, http.MethodPost, w.batchPath(), body), http.StatusForbidden, api.CodeForbidden)
	if !strings.Contains(p.Detail, "user_admin_min_role") {
		t.Errorf("detail %q does not name the setting", p.Detail)
	}
	if slices.Contains(w.batchEmails(), "new@acme.test") {
		t.Errorf("a refused batch created a user")
	}
}

func TestBatchThatIsNotAUserBatchIsRefusedWhole(t *testing.T) {
	w := newWorld(t)
	many := make([]api.UserBatchOperation, api.MaxBatchOperations+1)
	for i := range many {
		many[i] = create(fmt.Sprintf("u%d@acme.test", i))
	}
	before := w.batchEmails()
	for _, c := range []struct {
		name   string
		body   any
		fields []string
	}{
		{"501 operations", api.UserBatch{Operations: many}, []string{"operations"}},
		{"no operation", api.UserBatch{Operations: []api.UserBatchOperation{}}, []string{"operations"}},
		{"operations absent", `{}`, []string{"operations"}},
		{"unknown op", api.UserBatch{Operations: []api.UserBatchOperation{create("a@acme.test"), {Op: "upsert", UserID: "usr_1"}}}, []string{"operations[1].op"}},
		{"negative version", api.UserBatch{Operations: []api.UserBatchOperation{{Op: api.BatchDelete, UserID: "usr_1", Version: -1}}}, []string{"operations[0].version"}},
		{"unknown field", `{"operations":[{"op":"create","create":{"email":"a@acme.test","nickname":"A"}}]}`, []string{"nickname"}},
		{"wrong type", `{"operations":[{"op":"delete","user_id":"usr_1","version":"3"}]}`, []string{"operations.version"}},
		{"not JSON", `{"operations":[`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), c.body), http.StatusBadRequest, api.CodeInvalidRequest)
			for _, f := range c.fields {
				if !hasField(p, f) {
					t.Errorf("errors %+v lack %s", p.Errors, f)
				}
			}
		})
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), []byte(`{"operations":[]}`), "Content-Type", "text/plain"),
		http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia)
	if after := w.batchEmails(); !slices.Equal(after, before) {
		t.Errorf("refused batches changed the users: %v, then %v", before, after)
	}
}

func TestBatchOperationMissingItsPartsIsAnsweredOnItsOwn(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "someone@acme.test")
	res, hdr := w.batch(w.OwnerToken, []api.UserBatchOperation{
		{Op: api.BatchCreate},
		{Op: api.BatchCreate, UserID: u.ID, Create: &api.UserCreate{Email: "x@acme.test"}},
		{Op: api.BatchUpdate, UserID: u.ID},
		{Op: api.BatchDelete, UserID: u.ID, Update: &api.UserUpdate{}},
		{Op: api.BatchRestore, UserID: u.ID, Version: 1},
		{Op: api.BatchUpdate, UserID: u.ID, Update: &api.UserUpdate{FirstName: ptr("Some")}},
	})
	rid := hdr.Get("X-Request-Id")
	wantItem(t, 0, res[0], http.StatusBadRequest, api.CodeInvalidRequest, rid, "create")
	wantItem(t, 1, res[1], http.StatusBadRequest, api.CodeInvalidRequest, rid, "user_id")
	wantItem(t, 2, res[2], http.StatusBadRequest, api.CodeInvalidRequest, rid, "update")
	wantItem(t, 3, res[3], http.StatusBadRequest, api.CodeInvalidRequest, rid, "update")
	wantItem(t, 4, res[4], http.StatusBadRequest, api.CodeInvalidRequest, rid, "version")
	wantItem(t, 5, res[5], http.StatusOK, "", rid)
}

func TestBatchReplaysForItsIdempotencyKey(t *testing.T) {
	w := newWorld(t)
	ops := []api.UserBatchOperation{create("one@acme.test"), create("two@acme.test", "wizard"), create("three@acme.test")}
	first := w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), api.UserBatch{Operations: ops}, "Idempotency-Key", "batch-key-1")
	wantStatus(t, first, http.StatusOK)
	emails := w.batchEmails()
	events := w.batchEvents(first.Header.Get("X-Request-Id"))
	if len(events) != 2 {
		t.Fatalf("%d audit events, want 2", len(events))
	}
	again := w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), api.UserBatch{Operations: ops}, "Idempotency-Key", "batch-key-1")
	wantStatus(t, again, http.StatusOK)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatalf("replay %s %s; want the first answer %s, replayed", again.Header.Get("Idempotent-Replayed"), again.Body, first.Body)
	}
	if after := w.batchEmails(); !slices.Equal(after, emails) {
		t.Errorf("the replay changed the users: %v, then %v", emails, after)
	}
	if n := len(w.batchEvents(again.Header.Get("X-Request-Id"))); n != 0 {
		t.Errorf("the replay recorded %d audit events", n)
	}
	other := api.UserBatch{Operations: []api.UserBatchOperation{create("four@acme.test")}}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), other, "Idempotency-Key", "batch-key-1"),
		http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)
}

func TestBatchOperationThatFailsLeavesNothingOfItself(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "kept@acme.test", api.RoleMember)
	w.user(w.PartnerID, "other@acme.test")
	// The role change is written before the email's conflict is found: the
	// operation's savepoint must take it back, and only it.
	res, hdr := w.batch(w.OwnerToken, []api.UserBatchOperation{
		{Op: api.BatchUpdate, UserID: u.ID, Update: &api.UserUpdate{Roles: &[]string{api.RoleManager}, Email: ptr("other@acme.test")}},
		{Op: api.BatchUpdate, UserID: u.ID, Update: &api.UserUpdate{LastName: ptr("Kept")}},
	})
	rid := hdr.Get("X-Request-Id")
	wantItem(t, 0, res[0], http.StatusConflict, api.CodeEmailTaken, rid, "email")
	wantItem(t, 1, res[1], http.StatusOK, "", rid)
	got := w.getUser(u.ID)
	if !slices.Equal(got.Roles, []string{api.RoleMember}) || got.Email != "kept@acme.test" || got.LastName != "Kept" || got.Version != u.Version+1 {
		t.Errorf("user %+v; want member, kept@acme.test, Kept, version %d: the failed operation left a part of itself", got, u.Version+1)
	}
	var grants api.GrantList
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID+"/roles", nil).Decode(t, &grants)
	if len(grants.Grants) != 1 || grants.Grants[0].Role != api.RoleMember {
		t.Errorf("grants %+v; want member alone", grants.Grants)
	}
	if n := len(w.batchEvents(rid)); n != 1 {
		t.Errorf("%d audit events, want 1 (the failed operation records none)", n)
	}
}

func TestConcurrentBatchesCreateEachEmailOnce(t *testing.T) {
	w := newWorld(t)
	const n = 40
	var wg sync.WaitGroup
	results := make([][]api.UserBatchItem, 4)
	for b := range results {
		ops := make([]api.UserBatchOperation, n)
		for i := range ops {
			ops[i] = create(fmt.Sprintf("p%d@acme.test", (i+b*7)%n), api.RoleMember) // overlapping, in another order
		}
		wg.Go(func() {
			res := w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), api.UserBatch{Operations: ops})
			var out api.UserBatchResult
			if res.Status == http.StatusOK {
				res.Decode(t, &out)
			}
			results[b] = out.Results
		})
	}
	wg.Wait()
	created := map[string]int{}
	for b, rs := range results {
		if len(rs) != n {
			t.Fatalf("batch %d: %d results, want %d", b, len(rs), n)
		}
		for i, r := range rs {
			switch {
			case r.Status == http.StatusCreated:
				created[r.User.Email]++
			case r.Status != http.StatusConflict || r.Problem.Code != api.CodeEmailTaken:
				t.Errorf("batch %d results[%d]: %+v %+v; want 201 or 409 email_taken", b, i, r.User, r.Problem)
			}
		}
	}
	emails := w.batchEmails()
	for i := range n {
		e := fmt.Sprintf("p%d@acme.test", i)
		if created[e] != 1 || !slices.Contains(emails, e) {
			t.Errorf("%s created %d times, listed %t; want once", e, created[e], slices.Contains(emails, e))
		}
	}
	if len(emails) != n+1 {
		t.Errorf("%d users, want %d", len(emails), n+1)
	}
}

// batchCreates is count creates of new users, from the n-th on.
func batchCreates(from, count int) []api.UserBatchOperation {
	ops := make([]api.UserBatchOperation, count)
	for i := range ops {
		ops[i] = api.UserBatchOperation{Op: api.BatchCreate, Create: &api.UserCreate{
			Email: fmt.Sprintf("person%05d@acme.test", from+i), FirstName: "Person", LastName: fmt.Sprint(from + i),
			Phone: "+14155550123", Roles: []string{api.RoleMember}}}
	}
	return ops
}

// TestBatchCreatesFiveThousandUsersInTenBatches is the bulk onboarding the
// batch is for: 5,000 users in 10 batches of 500, without the contract
// check (which costs more than the server), in a few seconds.
func TestBatchCreatesFiveThousandUsersInTenBatches(t *testing.T) {
	w := &world{Env: portaltest.Start(t, portaltest.Options{NoConformance: true}), t: t}
	start := time.Now()
	var slowest time.Duration
	for b := range 10 {
		one := time.Now()
		res, _ := w.batch(w.OwnerToken, batchCreates(b*api.MaxBatchOperations, api.MaxBatchOperations))
		slowest = max(slowest, time.Since(one))
		for i, r := range res {
			if r.Status != http.StatusCreated {
				t.Fatalf("batch %d results[%d]: %d %+v", b, i, r.Status, r.Problem)
			}
		}
	}
	total := time.Since(start)
	t.Logf("5,000 users in 10 batches of 500: %s (%.0f creates/s); the slowest batch %s (%.0f creates/s)",
		total.Round(time.Millisecond), 5000/total.Seconds(), slowest.Round(time.Millisecond), 500/slowest.Seconds())
	var list api.UserList
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?page_size=1&email=person04999@acme.test", nil).Decode(t, &list)
	if len(list.Users) != 1 {
		t.Fatalf("the last user is not listed: %+v", list)
	}
	if total > 20*time.Second {
		t.Errorf("5,000 users took %s; want a few seconds", total)
	}
}

// BenchmarkBatchCreate500 measures one batch of 500 creates, end to end
// over HTTP on loopback.
func BenchmarkBatchCreate500(b *testing.B) {
	w := &world{Env: portaltest.Start(b, portaltest.Options{NoConformance: true}), t: b}
	n := 0
	for b.Loop() {
		w.batch(w.OwnerToken, batchCreates(n, api.MaxBatchOperations))
		n += api.MaxBatchOperations
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "creates/s")
}

func TestBatchCountsAsOneRequestForTheRateLimit(t *testing.T) {
	w := &world{Env: portaltest.Start(t, portaltest.Options{RateLimit: 0.01, RateBurst: 3}), t: t}
	res, hdr := w.batch(w.OwnerToken, batchCreates(0, 100))
	if res[99].Status != http.StatusCreated || hdr.Get("RateLimit-Remaining") != "2" {
		t.Fatalf("a batch of 100 left RateLimit-Remaining %q, want 2 (of a burst of 3): one request", hdr.Get("RateLimit-Remaining"))
	}
	w.batch(w.OwnerToken, batchCreates(100, 100))
	w.batch(w.OwnerToken, batchCreates(200, 100))
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), api.UserBatch{Operations: batchCreates(300, 1)}),
		http.StatusTooManyRequests, api.CodeRateLimited)
}

func TestBatchOverOneMebibyteIs413(t *testing.T) {
	w := newWorld(t)
	ops := batchCreates(0, api.MaxBatchOperations)
	for i := range ops {
		ops[i].Create.FirstName = strings.Repeat("n", 2100) // 500 × 2 KiB: over 1 MiB
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.batchPath(), api.UserBatch{Operations: ops}), http.StatusRequestEntityTooLarge, api.CodeBodyTooLarge)
}
