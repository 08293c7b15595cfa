package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// person is a roster element with the given id, first name and roles,
// status active.
func person(t *testing.T, id, first string, roles ...string) rosterUserModel {
	t.Helper()
	set, d := stringSet(context.Background(), roles)
	if d.HasError() {
		t.Fatal(d)
	}
	idv := types.StringUnknown()
	status := types.StringUnknown()
	if id != "" {
		idv, status = types.StringValue(id), types.StringValue(api.UserActive)
	}
	return rosterUserModel{ID: idv, FirstName: types.StringValue(first), LastName: types.StringValue(""), Phone: types.StringValue(""),
		Roles: set, Permissions: types.SetNull(types.StringType), AccessExpiresAt: types.StringNull(), Status: status}
}

// members are roster people with the role member, each name as
// name@acme.example with id usr_<its first letter> and its first name
// capitalized: "ana" is ana@acme.example, usr_a, Ana.
func members(t *testing.T, names ...string) map[string]rosterUserModel {
	t.Helper()
	out := make(map[string]rosterUserModel, len(names))
	for _, n := range names {
		out[n+"@acme.example"] = person(t, "usr_"+n[:1], strings.ToUpper(n[:1])+n[1:], "member")
	}
	return out
}

// planChanges is planRosterChanges, failing t on an error.
func planChanges(t *testing.T, prior, planned map[string]rosterUserModel, versions map[string]int64) []rosterChange {
	t.Helper()
	changes, diags := planRosterChanges(context.Background(), prior, planned, nil, nil, versions)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return changes
}

func TestRosterKeys(t *testing.T) {
	diags := checkRosterKeys([]string{"Ana@Acme.example", "ana@acme.example", "bo@acme.example", "not an email"})
	if got := len(diags.Errors()); got != 2 {
		t.Fatalf("got %d errors, want 2 (the duplicate and the invalid key): %v", got, diags)
	}
	dup, bad := diags.Errors()[0], diags.Errors()[1]
	wantDup := path.Root("users").AtMapKey("ana@acme.example")
	if d, ok := dup.(interface{ Path() path.Path }); !ok || !d.Path().Equal(wantDup) || dup.Summary() != "Person listed twice" ||
		!strings.Contains(dup.Detail(), `"Ana@Acme.example"`) {
		t.Errorf("duplicate: %s %s, want %q on %s naming the first spelling", dup.Summary(), dup.Detail(), "Person listed twice", wantDup)
	}
	if d, ok := bad.(interface{ Path() path.Path }); !ok || !d.Path().Equal(path.Root("users").AtMapKey("not an email")) || bad.Summary() != "Invalid email address" {
		t.Errorf("invalid key: %s on %v", bad.Summary(), bad)
	}
	if diags := checkRosterKeys([]string{"ana@acme.example", "bo@acme.example"}); diags.HasError() {
		t.Errorf("distinct valid keys: %v", diags)
	}
}

func TestRosterChanges(t *testing.T) {
	prior := members(t, "ana", "bo", "cy")
	renamed := prior["ana@acme.example"]
	changedRoles := prior["bo@acme.example"]
	changedRoles.Roles = person(t, "", "", "manager").Roles
	planned := map[string]rosterUserModel{
		"ANA@acme.example": renamed, // the same login written another way: no change
		"bo@acme.example":  changedRoles,
		"di@acme.example":  person(t, "", "Di", "read_only"),
	}
	changes := planChanges(t, prior, planned, map[string]int64{"usr_a": 3, "usr_b": 7, "usr_c": 9})
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%s %s %s v%d", c.kind, c.key, c.op.UserID, c.op.Version))
	}
	want := []string{"update bo@acme.example usr_b v7", "create di@acme.example  v0", "remove cy@acme.example usr_c v9"}
	if !slices.Equal(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if upd := changes[0].op.Update; upd == nil || upd.Roles == nil || !slices.Equal(*upd.Roles, []string{"manager"}) || upd.FirstName != nil || upd.Email != nil {
		t.Errorf("update of bo sends %+v, want only roles [manager]", upd)
	}
	if c := changes[1].op.Create; c == nil || c.Email != "di@acme.example" || c.FirstName != "Di" || !slices.Equal(c.Roles, []string{"read_only"}) {
		t.Errorf("create of di sends %+v", c)
	}
	if changes[2].op.Op != api.BatchDelete {
		t.Errorf("removal of cy is op %q", changes[2].op.Op)
	}
}

// A released person taken out of users is let go of, not removed; one who
// is not released is removed. release refuses a login that is also a key.
func TestRosterRelease(t *testing.T) {
	prior := members(t, "ana", "bo", "cy")
	planned := map[string]rosterUserModel{"ana@acme.example": prior["ana@acme.example"]}
	changes, diags := planRosterChanges(context.Background(), prior, planned, nil, map[string]bool{"bo@acme.example": true}, map[string]int64{})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(changes) != 1 || changes[0].kind != rosterRemove || changes[0].key != "cy@acme.example" {
		t.Fatalf("changes %+v, want only the removal of cy (bo is released)", changes)
	}
	release := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("BO@acme.example"), types.StringValue("nope"), types.StringValue("di@acme.example")})
	errs := checkRelease(release, loginIndex(map[string]int{"bo@acme.example": 0})).Errors()
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2 (bo in both, nope not an email): %v", len(errs), errs)
	}
	var summaries []string
	for _, d := range errs {
		summaries = append(summaries, d.Summary())
	}
	slices.Sort(summaries)
	if want := []string{"Invalid email address", "Person both in the roster and released"}; !slices.Equal(summaries, want) {
		t.Errorf("errors %v, want %v", summaries, want)
	}
	if got := releasedLogins(rosterModel{Release: release}); !got["bo@acme.example"] || !got["di@acme.example"] || len(got) != 3 {
		t.Errorf("released logins %v", got)
	}
}

func TestRosterStateKeepsWhatSucceeded(t *testing.T) {
	ctx := context.Background()
	prior := members(t, "bo", "cy", "ed", "fa")
	bo := prior["bo@acme.example"]
	bo.FirstName = types.StringValue("Bob")
	fa := prior["fa@acme.example"]
	fa.Phone = types.StringValue("+14155550123")
	planned := map[string]rosterUserModel{
		"bo@acme.example": bo, // update fails: kept as it was
		"fa@acme.example": fa, // update succeeds
		"di@acme.example": person(t, "", "Di", "member"),
		"gu@acme.example": person(t, "", "Gu", "owner"), // create fails: absent
	}
	versions := map[string]int64{"usr_b": 2, "usr_c": 2, "usr_e": 2, "usr_f": 2}
	changes := planChanges(t, prior, planned, versions)
	kinds := map[string]string{}
	for _, c := range changes {
		kinds[c.key] = c.kind
	}
	if len(changes) != 6 {
		t.Fatalf("got %d changes %v, want 6", len(changes), kinds)
	}
	denied := &api.Problem{Status: http.StatusForbidden, Code: api.CodeRoleAboveCeiling, Detail: "owner is above your ceiling", RequestID: "req_1",
		Errors: []api.FieldError{{Field: "roles", Code: api.FieldInvalid, Message: "above the ceiling"}}}
	stale := &api.Problem{Status: http.StatusPreconditionFailed, Code: "version_mismatch", Detail: "changed", RequestID: "req_2"}
	outcomes := make([]rosterOutcome, len(changes))
	for i, c := range changes {
		switch c.key {
		case "bo@acme.example":
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusPreconditionFailed, Problem: stale}, "prt_1")
		case "gu@acme.example":
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusForbidden, Problem: denied}, "prt_1")
		case "di@acme.example":
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusCreated, User: &api.User{ID: "usr_d", Email: "di@acme.example",
				FirstName: "Di", Roles: []string{"member"}, Status: api.UserInvited, Version: 1}}, "prt_1")
		case "fa@acme.example":
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusOK, User: &api.User{ID: "usr_f", Email: "fa@acme.example",
				FirstName: "Fa", Phone: ptr("+14155550123"), Roles: []string{"member"}, Status: api.UserActive, Version: 3}}, "prt_1")
		case "cy@acme.example": // removed
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusNoContent}, "prt_1")
		case "ed@acme.example": // removal refused
			outcomes[i] = outcomeOf(c.op, api.UserBatchItem{Status: http.StatusConflict, Problem: &api.Problem{Status: http.StatusConflict, Code: api.CodeLastOwner, RequestID: "req_3"}}, "prt_1")
		}
	}
	next, diags := rosterState(ctx, planned, changes, outcomes, versions)
	if got := sortedKeys(next); !slices.Equal(got, []string{"bo@acme.example", "di@acme.example", "ed@acme.example", "fa@acme.example"}) {
		t.Fatalf("state holds %v", got)
	}
	if !sameRosterUser(next["bo@acme.example"], prior["bo@acme.example"]) || !sameRosterUser(next["ed@acme.example"], prior["ed@acme.example"]) {
		t.Errorf("failed changes did not keep the prior state: %+v %+v", next["bo@acme.example"], next["ed@acme.example"])
	}
	if d := next["di@acme.example"]; d.ID.ValueString() != "usr_d" || d.Status.ValueString() != api.UserInvited || d.FirstName.ValueString() != "Di" {
		t.Errorf("created di is %+v", d)
	}
	if f := next["fa@acme.example"]; f.Phone.ValueString() != "+14155550123" || f.Status.ValueString() != api.UserActive {
		t.Errorf("updated fa is %+v", f)
	}
	if versions["usr_d"] != 1 || versions["usr_f"] != 3 || versions["usr_b"] != 2 {
		t.Errorf("versions %v", versions)
	}
	if _, ok := versions["usr_c"]; ok {
		t.Errorf("the removed user keeps a version: %v", versions)
	}
	errs := map[string]string{}
	for _, e := range diags.Errors() {
		p, _ := e.(interface{ Path() path.Path })
		errs[p.Path().String()] = e.Summary() + ": " + e.Detail()
	}
	want := map[string][]string{
		`users["gu@acme.example"].roles`: {"Unable to create partner user", "403 role_above_ceiling", "req_1"},
		`users["bo@acme.example"]`:       {"Unable to update partner user", "412 version_mismatch", "req_2", "Run terraform plan again"},
		`users["ed@acme.example"]`:       {"Unable to remove partner user", "409 last_owner", "req_3", "usr_e"},
	}
	if len(errs) != len(want) {
		t.Errorf("errors on %v, want on %d people", sortedKeys(errs), len(want))
	}
	for at, parts := range want {
		for _, p := range parts {
			if !strings.Contains(errs[at], p) {
				t.Errorf("error on %s is %q, want it to say %q", at, errs[at], p)
			}
		}
	}
}

func TestRosterRefresh(t *testing.T) {
	ctx := context.Background()
	prior := members(t, "ana", "bo", "cy")
	users := map[string]api.User{
		"usr_a": {ID: "usr_a", Email: "ana@acme.example", FirstName: "Ana", Roles: []string{"manager"}, Status: api.UserActive, Version: 4},
		"usr_b": {ID: "usr_b", Email: "bo@acme.example", Status: api.UserDeleted, Version: 5},
		// usr_c is gone altogether.
		"usr_o":   {ID: "usr_o", Email: "owner@acme.example", Roles: []string{"owner"}, Status: api.UserActive},
		"usr_tok": {ID: "usr_tok", Email: "bot@acme.example", Roles: []string{"admin"}, Status: api.UserActive},
		"usr_h":   {ID: "usr_h", Email: "hand@acme.example", Roles: []string{"member"}, Status: api.UserInvited, Version: 1},
		"usr_x":   {ID: "usr_x", Email: "gone@acme.example", Status: api.UserDeleted},
	}
	next, versions, diags := refreshRoster(ctx, prior, users, false, nil)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if got := sortedKeys(next); !slices.Equal(got, []string{"ana@acme.example"}) {
		t.Fatalf("not exclusive: state holds %v, want only ana (bo removed by hand, cy gone)", got)
	}
	if roles, _ := setStrings(ctx, next["ana@acme.example"].Roles); !slices.Equal(roles, []string{"manager"}) || versions["usr_a"] != 4 {
		t.Errorf("ana's drift is not read: roles %v, versions %v", roles, versions)
	}
	next, _, diags = refreshRoster(ctx, prior, users, true, spareFromExclusive(users, "usr_tok"))
	if diags.HasError() {
		t.Fatal(diags)
	}
	if got := sortedKeys(next); !slices.Equal(got, []string{"ana@acme.example", "hand@acme.example"}) {
		t.Fatalf("exclusive: state holds %v, want ana and the user added by hand (never the token's own account nor the only owner)", got)
	}
}

func TestRosterBatchesInChunks(t *testing.T) {
	ctx := context.Background()
	n := 3*api.MaxBatchOperations + 17
	ops := make([]api.UserBatchOperation, n)
	for i := range ops {
		ops[i] = api.UserBatchOperation{Op: api.BatchCreate, Create: &api.UserCreate{Email: fmt.Sprintf("p%d@acme.example", i)}}
	}
	var mu sync.Mutex
	var sizes []int
	// Every chunk waits until all four are in flight: sent one after
	// another, the first would never be answered.
	var arrived sync.WaitGroup
	arrived.Add(4)
	together := make(chan struct{})
	go func() { arrived.Wait(); close(together) }()
	var peak atomic.Int32
	outcomes := sendBatches(ctx, "prt_1", ops, func(_ context.Context, ops []api.UserBatchOperation) (*api.UserBatchResult, error) {
		arrived.Done()
		select {
		case <-together:
			peak.Store(4)
		case <-time.After(10 * time.Second):
			return nil, errors.New("the batches were not sent at once")
		}
		mu.Lock()
		sizes = append(sizes, len(ops))
		mu.Unlock()
		if strings.HasPrefix(ops[0].Create.Email, fmt.Sprintf("p%d@", 2*api.MaxBatchOperations)) {
			return nil, errors.New("connection reset")
		}
		res := &api.UserBatchResult{}
		for _, op := range ops {
			res.Results = append(res.Results, api.UserBatchItem{Status: http.StatusCreated, User: &api.User{ID: "usr_" + op.Create.Email, Email: op.Create.Email}})
		}
		return res, nil
	})
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{17, api.MaxBatchOperations, api.MaxBatchOperations, api.MaxBatchOperations}) || peak.Load() != 4 {
		t.Fatalf("batches of %v, %d at once; want 3 of %d and one of 17, 4 at once", sizes, peak.Load(), api.MaxBatchOperations)
	}
	for i, o := range outcomes {
		inFailed := i >= 2*api.MaxBatchOperations && i < 3*api.MaxBatchOperations
		switch {
		case inFailed && (o.err == nil || !o.whole):
			t.Fatalf("op %d of the failed batch: %+v", i, o)
		case !inFailed && (o.err != nil || o.user == nil || o.user.Email != ops[i].Create.Email):
			t.Fatalf("op %d is answered with %+v, want its own user", i, o)
		}
	}
}

// A user of the partner added to the roster is adopted: updated only in what
// the plan changes, with the version read for If-Match, and not at all when
// the configuration says what the portal has.
func TestRosterChanges_adoptedSendsOnlyWhatDiffers(t *testing.T) {
	portal := members(t, "ana", "bo")
	planned := members(t, "ana", "bo")
	renamed := planned["bo@acme.example"]
	renamed.FirstName = types.StringValue("Bob")
	planned["bo@acme.example"] = renamed
	adopted := map[string]rosterUserModel{"usr_a": portal["ana@acme.example"], "usr_b": portal["bo@acme.example"]}
	changes, diags := planRosterChanges(context.Background(), nil, planned, adopted, nil, map[string]int64{"usr_a": 2, "usr_b": 5})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(changes) != 1 || changes[0].key != "bo@acme.example" || changes[0].op.Version != 5 {
		t.Fatalf("changes = %+v, want one update of bo at version 5 (ana is adopted as she is)", changes)
	}
	if upd := changes[0].op.Update; upd.FirstName == nil || *upd.FirstName != "Bob" || upd.Roles != nil || upd.LastName != nil || upd.Email != nil {
		t.Errorf("update of bo sends %+v, want only first_name Bob", upd)
	}
}
