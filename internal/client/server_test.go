package client_test

// These tests run the typed client against the real portald handler
// (internal/portaltest): a fresh SQLite file per test, --dev mode, and a
// conformance checker that fails the test on any exchange the OpenAPI
// contract does not allow. So every call here is also a contract check.
// The rest of the services are tested in server_more_test.go.

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// fixture is one running portald with a client for its first partner's owner.
type fixture struct {
	ctx   context.Context
	env   *portaltest.Env
	owner *client.Client
	pid   string // the first partner
}

// start marks the test parallel and runs a portald for it.
func start(t *testing.T) *fixture {
	t.Helper()
	t.Parallel()
	env := portaltest.Start(t, portaltest.Options{})
	return &fixture{ctx: t.Context(), env: env, owner: newClient(t, env, env.OwnerToken), pid: env.PartnerID}
}

// newClient is a client of env with token that does not retry.
func newClient(t testing.TB, env *portaltest.Env, token string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: env.URL, Token: token, MaxRetries: -1})
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	return c
}

// must returns v, failing the test when err is set:
// u := must(c.Users.Get(ctx, pid, id))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// noErr fails the test when err is set.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr fails unless err is an *APIError that matches sentinel and has
// the problem code and a request id.
func wantErr(t testing.TB, err, sentinel error, code string) {
	t.Helper()
	_ = wantAPIError(t, err, sentinel, code)
}

// wantAPIError is wantErr that also returns the *client.APIError, for
// checks of its problem details.
func wantAPIError(t testing.TB, err, sentinel error, code string) *client.APIError {
	t.Helper()
	e, ok := client.AsAPIError(err)
	if !ok || !errors.Is(err, sentinel) || !client.IsCode(err, code) {
		t.Fatalf("error %v; want %q with code %q", err, sentinel, code)
	}
	if e.RequestID == "" || e.Problem.RequestID != e.RequestID {
		t.Errorf("%s: request id %q, problem's %q; want both set and equal", code, e.RequestID, e.Problem.RequestID)
	}
	return e
}

// hasField reports whether a validation error names field.
func hasField(e *client.APIError, field string) bool {
	return slices.ContainsFunc(e.FieldErrors, func(fe api.FieldError) bool { return fe.Field == field })
}

// user creates a user of the first partner with the owner's token.
func (f *fixture) user(t testing.TB, email string, roles ...string) *api.User {
	t.Helper()
	return must(f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: email, Roles: roles}))(t)
}

// clientFor mints, with c, a token for user userID of partner pid, and
// returns a client that uses it.
func (f *fixture) clientFor(t testing.TB, c *client.Client, pid, userID string) *client.Client {
	t.Helper()
	tok := must(c.Tokens.Create(f.ctx, pid, api.TokenCreate{UserID: userID, Name: "test token"}))(t)
	if tok.Token == "" || tok.ID == "" || tok.UserID != userID || tok.PartnerID != pid || tok.Name != "test token" {
		t.Fatalf("Tokens.Create = %+v; want a token of user %s in %s", tok, userID, pid)
	}
	return newClient(t, f.env, tok.Token)
}

// mail returns the last mail of kind sent to addr, from the dev outbox.
func (f *fixture) mail(t testing.TB, addr, kind string) api.OutboxMessage {
	t.Helper()
	box := must(f.owner.Dev.Outbox(f.ctx, addr))(t)
	for _, m := range slices.Backward(box.Messages) {
		if m.Kind == kind && m.To == addr && m.Token != "" {
			return m
		}
	}
	t.Fatalf("no %s mail with a token to %s in %+v", kind, addr, box.Messages)
	return api.OutboxMessage{}
}

func userIDs(us []api.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestServerMe(t *testing.T) {
	f := start(t)
	me := must(f.owner.Me.Get(f.ctx))(t)
	if me.Kind != api.KindPartner || me.Role != api.RoleOwner || me.Rank != api.RankOwner ||
		me.CeilingRank != api.RankOwner || me.CeilingRole != api.RoleOwner {
		t.Errorf("owner Me = %+v; want a partner token, role owner, rank and ceiling 100", me)
	}
	if me.UserID != f.env.OwnerID || me.PartnerID != f.pid || me.Email != "owner@acme.test" || me.TokenID == "" {
		t.Errorf("owner Me = %+v; want user %s of %s", me, f.env.OwnerID, f.pid)
	}
	if !slices.Equal(me.Permissions, api.AllPermissions) {
		t.Errorf("owner permissions %v; want all of %v", me.Permissions, api.AllPermissions)
	}

	op := must(newClient(t, f.env, f.env.OperatorToken).Me.Get(f.ctx))(t)
	if op.Kind != api.KindOperator || op.Rank != api.RankOperator || op.CeilingRank != api.RankOwner || op.PartnerID != "" || op.UserID != "" {
		t.Errorf("operator Me = %+v; want kind operator, rank 1000, ceiling 100, no partner or user", op)
	}

	_, err := newClient(t, f.env, "ptk_not-a-real-token").Me.Get(f.ctx)
	wantErr(t, err, client.ErrUnauthenticated, api.CodeUnauthenticated)
}

func TestServerPartners(t *testing.T) {
	f := start(t)
	op := newClient(t, f.env, f.env.OperatorToken)
	p := must(op.Partners.Create(f.ctx, api.PartnerCreate{Name: "Globex"}))(t)
	if p.ID == "" || p.Name != "Globex" || p.Version != 1 || p.Settings.UserAdminMinRole != api.RoleManager {
		t.Errorf("Partners.Create = %+v; want Globex at version 1, user_admin_min_role manager", p)
	}
	if got := must(op.Partners.Get(f.ctx, p.ID))(t); *got != *p {
		t.Errorf("Partners.Get = %+v; want what Create answered, %+v", got, p)
	}

	upd := must(op.Partners.Update(f.ctx, p.ID, api.PartnerUpdate{Name: ptr("Globex Corp")}, p.Version))(t)
	if upd.Name != "Globex Corp" || upd.Version != p.Version+1 {
		t.Errorf("Partners.Update = %+v; want name Globex Corp at version %d", upd, p.Version+1)
	}
	_, err := op.Partners.Update(f.ctx, p.ID, api.PartnerUpdate{Name: ptr("Stale")}, p.Version)
	wantErr(t, err, client.ErrPreconditionFailed, api.CodePreconditionFailed)
	if got := must(op.Partners.Get(f.ctx, p.ID))(t); got.Name != "Globex Corp" || got.Version != upd.Version {
		t.Errorf("after a stale update the partner is %+v; want it unchanged", got)
	}

	all := must(op.Partners.ListAll(f.ctx))(t)
	if len(all) != 2 || !slices.ContainsFunc(all, func(x api.Partner) bool { return x.ID == f.pid }) {
		t.Errorf("operator Partners.ListAll = %+v; want Acme and Globex", all)
	}
	first := must(op.Partners.List(f.ctx, client.ListOptions{PageSize: 1}))(t)
	if len(first.Partners) != 1 || first.NextPageToken == "" {
		t.Fatalf("Partners.List(page size 1) = %+v; want one partner and a next page", first)
	}
	second := must(op.Partners.List(f.ctx, client.ListOptions{PageSize: 1, PageToken: first.NextPageToken}))(t)
	if len(second.Partners) != 1 || second.NextPageToken != "" || second.Partners[0].ID == first.Partners[0].ID {
		t.Errorf("second page %+v after %+v; want the other partner, last page", second, first)
	}

	own := must(f.owner.Partners.ListAll(f.ctx))(t)
	if len(own) != 1 || own[0].ID != f.pid {
		t.Errorf("owner Partners.ListAll = %+v; want only its own partner %s", own, f.pid)
	}
	_, err = f.owner.Partners.Create(f.ctx, api.PartnerCreate{Name: "Initech"})
	wantErr(t, err, client.ErrForbidden, api.CodeForbidden)
}

func TestServerUserLifecycle(t *testing.T) {
	f := start(t)
	u := must(f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "ann@acme.test", FirstName: "Ann",
		Phone: "+14155550123", Roles: []string{api.RoleReadOnly, api.RoleMember}}))(t)
	if u.ID == "" || u.PartnerID != f.pid || u.Status != api.UserInvited || u.Version != 1 || u.Phone == nil || *u.Phone != "+14155550123" ||
		!slices.Equal(u.Roles, []string{api.RoleMember, api.RoleReadOnly}) {
		t.Errorf("Users.Create = %+v; want an invited user with roles member, read_only", u)
	}
	got := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t)
	if got.Email != u.Email || got.FirstName != "Ann" || got.Version != u.Version || !slices.Equal(got.Roles, u.Roles) {
		t.Errorf("Users.Get = %+v; want what Create answered, %+v", got, u)
	}

	upd := must(f.owner.Users.Update(f.ctx, f.pid, u.ID, api.UserUpdate{LastName: ptr("Lee")}, got.Version))(t)
	if upd.LastName != "Lee" || upd.FirstName != "Ann" || upd.Version != got.Version+1 {
		t.Errorf("Users.Update = %+v; want last name Lee, first name kept, version %d", upd, got.Version+1)
	}
	_, err := f.owner.Users.Update(f.ctx, f.pid, u.ID, api.UserUpdate{LastName: ptr("Stale")}, got.Version)
	wantErr(t, err, client.ErrPreconditionFailed, api.CodePreconditionFailed)

	noErr(t, f.owner.Users.Delete(f.ctx, f.pid, u.ID, upd.Version))
	gone := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t)
	if gone.Status != api.UserDeleted || gone.DeletedAt == nil {
		t.Errorf("after Delete, Users.Get = %+v; want status deleted with deleted_at", gone)
	}
	_, err = f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "ANN@acme.test"})
	e := wantAPIError(t, err, client.ErrConflict, api.CodeUserDeleted)
	if e.Problem.RestorableUserID != u.ID {
		t.Errorf("user_deleted names %q as restorable; want %s", e.Problem.RestorableUserID, u.ID)
	}

	back := must(f.owner.Users.Restore(f.ctx, f.pid, u.ID))(t)
	if back.Status != api.UserInvited || back.DeletedAt != nil || !slices.Equal(back.Roles, u.Roles) || back.Version <= gone.Version {
		t.Errorf("Users.Restore = %+v; want the invited user back with its roles and a new version", back)
	}
	_, err = f.owner.Users.Restore(f.ctx, f.pid, u.ID)
	wantErr(t, err, client.ErrConflict, api.CodeUserNotDeleted)
	_, err = f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "ann@acme.test"})
	if e := wantAPIError(t, err, client.ErrConflict, api.CodeEmailTaken); e.Problem.UserID != u.ID {
		t.Errorf("email_taken names user %q; want %s", e.Problem.UserID, u.ID)
	}
}

func TestServerUserErrors(t *testing.T) {
	f := start(t)
	_, err := f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "bob@acme.test", Phone: "555-0100"})
	if e := wantAPIError(t, err, client.ErrValidation, api.CodeValidationFailed); !hasField(e, "phone") {
		t.Errorf("field errors %+v; want one for phone", e.FieldErrors)
	}
	_, err = f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "bob@acme.test", Roles: []string{api.RoleMember, "wizard"}})
	if e := wantAPIError(t, err, client.ErrValidation, api.CodeValidationFailed); !hasField(e, "roles[1]") {
		t.Errorf("field errors %+v; want one for roles[1]", e.FieldErrors)
	}
	if n := len(must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{Email: "bob@acme.test"}))(t)); n != 0 {
		t.Errorf("%d users bob@acme.test after refused creates; want 0", n)
	}
	_, err = f.owner.Users.Get(f.ctx, f.pid, "usr_missing")
	wantErr(t, err, client.ErrNotFound, api.CodeNotFound)
	_, err = f.owner.Users.Update(f.ctx, f.pid, f.env.OwnerID, api.UserUpdate{Roles: &[]string{api.RoleAdmin}}, 0)
	wantErr(t, err, client.ErrConflict, api.CodeLastOwner)
}

func TestServerUserListFilters(t *testing.T) {
	f := start(t)
	var made []string
	for i, email := range []string{"a0@list.test", "a1@list.test", "a2@list.test", "a3@list.test", "a4@list.test", "a5@list.test", "a6@list.test"} {
		role := api.RoleMember
		if i%2 == 1 {
			role = api.RoleReadOnly
		}
		made = append(made, f.user(t, email, role).ID)
	}
	count := func(o api.UserListOptions) int {
		t.Helper()
		return len(must(f.owner.Users.ListAll(f.ctx, f.pid, o))(t))
	}
	byEmail := must(f.owner.Users.List(f.ctx, f.pid, api.UserListOptions{Email: "A3@List.Test"}))(t)
	if len(byEmail.Users) != 1 || byEmail.Users[0].ID != made[3] || byEmail.NextPageToken != "" {
		t.Errorf("List(email A3@List.Test) = %+v; want user %s only", byEmail, made[3])
	}
	if n := count(api.UserListOptions{Role: api.RoleMember}); n != 4 {
		t.Errorf("%d members; want 4", n)
	}
	if n := count(api.UserListOptions{EmailDomain: "list.test", Role: api.RoleReadOnly}); n != 3 {
		t.Errorf("%d read_only users at list.test; want 3", n)
	}
	if n := count(api.UserListOptions{Status: api.UserInvited}); n != 8 {
		t.Errorf("%d invited users; want 8 (7 made and the bootstrapped owner)", n)
	}

	noErr(t, f.owner.Users.Delete(f.ctx, f.pid, made[0], 0))
	if n := count(api.UserListOptions{EmailDomain: "list.test"}); n != 6 {
		t.Errorf("%d live users at list.test after a delete; want 6", n)
	}
	if n := count(api.UserListOptions{EmailDomain: "list.test", IncludeDeleted: true}); n != 7 {
		t.Errorf("%d users at list.test with include_deleted; want 7", n)
	}
	deleted := must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{Status: api.UserDeleted}))(t)
	if !slices.Equal(userIDs(deleted), made[:1]) {
		t.Errorf("List(status deleted) = %v; want %v", userIDs(deleted), made[:1])
	}
}

func TestServerUserListPages(t *testing.T) {
	f := start(t)
	var want []string
	for _, email := range []string{"p0@page.test", "p1@page.test", "p2@page.test", "p3@page.test", "p4@page.test", "p5@page.test", "p6@page.test"} {
		want = append(want, f.user(t, email, api.RoleMember).ID)
	}
	opts := api.UserListOptions{EmailDomain: "page.test", PageSize: 2}
	var got []string
	var sizes []int
	for range 10 {
		page := must(f.owner.Users.List(f.ctx, f.pid, opts))(t)
		got, sizes = append(got, userIDs(page.Users)...), append(sizes, len(page.Users))
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	slices.Sort(want)
	if !slices.Equal(sizes, []int{2, 2, 2, 1}) || !slices.Equal(got, want) {
		t.Errorf("pages of 2 gave sizes %v and ids %v; want sizes [2 2 2 1] and %v", sizes, got, want)
	}
	all := userIDs(must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{EmailDomain: "page.test", PageSize: 2}))(t))
	if !slices.Equal(all, want) {
		t.Errorf("Users.ListAll = %v; want %v", all, want)
	}
}

func TestServerGrants(t *testing.T) {
	f := start(t)
	u := f.user(t, "gus@acme.test", api.RoleMember)
	g := must(f.owner.Grants.Grant(f.ctx, f.pid, u.ID, api.RoleReadOnly))(t)
	if g.UserID != u.ID || g.Role != api.RoleReadOnly || g.GrantedBy != f.env.OwnerID || g.GrantedAt.IsZero() {
		t.Errorf("Grants.Grant = %+v; want read_only granted to %s by %s", g, u.ID, f.env.OwnerID)
	}
	if again := must(f.owner.Grants.Grant(f.ctx, f.pid, u.ID, api.RoleReadOnly))(t); *again != *g {
		t.Errorf("granting a held role again = %+v; want the grant unchanged, %+v", again, g)
	}
	list := must(f.owner.Grants.List(f.ctx, f.pid, u.ID))(t)
	if len(list.Grants) != 2 || list.Grants[0].Role != api.RoleMember || list.Grants[1] != *g {
		t.Errorf("Grants.List = %+v; want member and read_only", list)
	}

	noErr(t, f.owner.Grants.Revoke(f.ctx, f.pid, u.ID, api.RoleReadOnly))
	wantErr(t, f.owner.Grants.Revoke(f.ctx, f.pid, u.ID, api.RoleReadOnly), client.ErrNotFound, api.CodeNotFound)

	cur := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t)
	if !slices.Equal(cur.Roles, []string{api.RoleMember}) {
		t.Errorf("roles after revoke %v; want [member]", cur.Roles)
	}
	repl := must(f.owner.Grants.Replace(f.ctx, f.pid, u.ID, []string{api.RoleManager, api.RoleReadOnly}, cur.Version))(t)
	if len(repl.Grants) != 2 || repl.Grants[0].Role != api.RoleManager || repl.Grants[1].Role != api.RoleReadOnly {
		t.Errorf("Grants.Replace = %+v; want manager and read_only", repl)
	}
	_, err := f.owner.Grants.Replace(f.ctx, f.pid, u.ID, []string{api.RoleMember}, cur.Version)
	wantErr(t, err, client.ErrPreconditionFailed, api.CodePreconditionFailed)
	if after := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t); !slices.Equal(after.Roles, []string{api.RoleManager, api.RoleReadOnly}) {
		t.Errorf("user roles %v; want [manager read_only] after a stale replace", after.Roles)
	}
}

func TestServerGrantAboveCeiling(t *testing.T) {
	f := start(t)
	admin := f.clientFor(t, f.owner, f.pid, f.user(t, "ada@acme.test", api.RoleAdmin).ID)
	me := must(admin.Me.Get(f.ctx))(t)
	if me.Role != api.RoleAdmin || me.CeilingRank != api.RankManager || me.CeilingRole != api.RoleManager {
		t.Errorf("admin Me = %+v; want role admin with ceiling manager (60)", me)
	}
	u := f.user(t, "max@acme.test", api.RoleMember)
	_, err := admin.Grants.Grant(f.ctx, f.pid, u.ID, api.RoleAdmin)
	e := wantAPIError(t, err, client.ErrForbidden, api.CodeRoleAboveCeiling)
	if e.Problem.CeilingRank != api.RankManager || e.Problem.ActorRole != api.RoleAdmin {
		t.Errorf("role_above_ceiling problem %+v; want ceiling_rank 60, actor_role admin", e.Problem)
	}
	if g := must(admin.Grants.Grant(f.ctx, f.pid, u.ID, api.RoleManager))(t); g.GrantedBy != me.UserID {
		t.Errorf("admin's grant of manager = %+v; want granted by %s", g, me.UserID)
	}
	if roles := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t).Roles; !slices.Equal(roles, []string{api.RoleManager, api.RoleMember}) {
		t.Errorf("roles %v; want [manager member]", roles)
	}
}
