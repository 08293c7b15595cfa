package client_test

// More tests of the client against the real portald; the helpers (start,
// must, wantErr, ...) are at the top of server_test.go.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// anonymous is the token of a person following an emailed link, who has
// none: the client needs one, and the public routes must ignore it.
const anonymous = "ptk_anonymous"

const password = "correct horse battery staple"

// errOf is the error of a call whose value does not matter.
func errOf[T any](_ T, err error) error { return err }

func inviteIDs(in []api.Invite) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.ID
	}
	return out
}

func TestServerInvites(t *testing.T) {
	f := start(t)
	inv := must(f.owner.Invites.Create(f.ctx, f.pid, api.InviteCreate{Email: "ivy@acme.test", Roles: []string{api.RoleMember}}))(t)
	if inv.ID == "" || inv.Status != api.InvitePending || inv.SendCount != 1 || inv.InvitedBy != f.env.OwnerID ||
		inv.LifetimeSeconds != api.DefaultInviteLifetimeSeconds || !inv.ExpiresAt.Equal(inv.CreatedAt.Add(7*24*time.Hour)) {
		t.Errorf("Invites.Create = %+v; want a pending invite sent once, expiring in 7 days", inv)
	}
	wantErr(t, errOf(f.owner.Invites.Create(f.ctx, f.pid, api.InviteCreate{Email: "IVY@acme.test"})), client.ErrConflict, api.CodeInviteExists)

	batch := must(f.owner.Invites.CreateBatch(f.ctx, f.pid, api.InviteBatchCreate{Invites: []api.InviteCreate{
		{Email: "b1@acme.test"}, {Email: "b2@acme.test", Roles: []string{api.RoleReadOnly}}, {Email: "b3@acme.test"},
	}}))(t).Invites
	if len(batch) != 3 || batch[1].Email != "b2@acme.test" || !slices.Equal(batch[1].Roles, []string{api.RoleReadOnly}) || batch[2].Status != api.InvitePending {
		t.Fatalf("Invites.CreateBatch = %+v; want 3 pending invites in order", batch)
	}
	if got := must(f.owner.Invites.Get(f.ctx, f.pid, inv.ID))(t); got.Email != inv.Email || got.Version != inv.Version {
		t.Errorf("Invites.Get = %+v; want what Create answered", got)
	}
	if n := len(must(f.owner.Invites.ListAll(f.ctx, f.pid, api.InviteListOptions{Status: api.InvitePending}))(t)); n != 4 {
		t.Errorf("%d pending invites; want 4", n)
	}
	one := must(f.owner.Invites.List(f.ctx, f.pid, api.InviteListOptions{Email: "B2@acme.test", PageSize: 1}))(t)
	if !slices.Equal(inviteIDs(one.Invites), []string{batch[1].ID}) || one.NextPageToken != "" {
		t.Errorf("Invites.List(email B2@acme.test) = %+v; want invite %s alone", one, batch[1].ID)
	}

	upd := must(f.owner.Invites.Update(f.ctx, f.pid, inv.ID, api.InviteUpdate{Roles: &[]string{api.RoleManager}}, inv.Version))(t)
	if !slices.Equal(upd.Roles, []string{api.RoleManager}) || upd.Version != inv.Version+1 {
		t.Errorf("Invites.Update = %+v; want roles [manager] at version %d", upd, inv.Version+1)
	}
	wantErr(t, errOf(f.owner.Invites.Update(f.ctx, f.pid, inv.ID, api.InviteUpdate{}, inv.Version)), client.ErrPreconditionFailed, api.CodePreconditionFailed)

	firstMail := f.mail(t, "ivy@acme.test", "invite")
	noErr(t, errOf(f.owner.Dev.AdvanceClock(f.ctx, time.Hour)))
	re := must(f.owner.Invites.Resend(f.ctx, f.pid, inv.ID, api.InviteResend{}))(t)
	if re.SendCount != 2 || re.Status != api.InvitePending || re.ExpiresAt.Sub(inv.ExpiresAt) < time.Hour {
		t.Errorf("Invites.Resend = %+v; want send_count 2 and an expiry an hour later than %s", re, inv.ExpiresAt)
	}
	secondMail := f.mail(t, "ivy@acme.test", "invite")
	if secondMail.Token == firstMail.Token {
		t.Fatalf("the resent invite mail has the old token")
	}

	person := newClient(t, f.env, anonymous)
	old := api.InviteAccept{Token: firstMail.Token, Password: password}
	wantErr(t, errOf(person.Invites.Accept(f.ctx, old)), client.ErrNotFound, api.CodeNotFound)
	accept := api.InviteAccept{Token: secondMail.Token, Password: password, FirstName: "Ivy"}
	u := must(person.Invites.Accept(f.ctx, accept))(t)
	if u.Email != "ivy@acme.test" || u.PartnerID != f.pid || u.Status != api.UserActive || u.FirstName != "Ivy" || !slices.Equal(u.Roles, []string{api.RoleManager}) {
		t.Errorf("Invites.Accept = %+v; want an active user with the updated roles [manager]", u)
	}
	done := must(f.owner.Invites.Get(f.ctx, f.pid, inv.ID))(t)
	if done.Status != api.InviteAccepted || done.UserID != u.ID || done.RespondedAt == nil {
		t.Errorf("accepted invite = %+v; want status accepted, user %s, responded_at", done, u.ID)
	}
	wantErr(t, errOf(person.Invites.Accept(f.ctx, accept)), client.ErrConflict, api.CodeInviteNotPending)
	wantErr(t, errOf(f.owner.Invites.Update(f.ctx, f.pid, inv.ID, api.InviteUpdate{}, 0)), client.ErrConflict, api.CodeInviteNotPending)

	if rv := must(f.owner.Invites.Revoke(f.ctx, f.pid, batch[0].ID))(t); rv.Status != api.InviteRevoked {
		t.Errorf("Invites.Revoke = %+v; want status revoked", rv)
	}
	wantErr(t, errOf(f.owner.Invites.Revoke(f.ctx, f.pid, batch[0].ID)), client.ErrConflict, api.CodeInviteNotPending)
	// Sorted: invites of one batch share their creation microsecond, and
	// the ids a list is ordered by then differ only in their random part.
	for status, want := range map[string][]string{api.InviteRevoked: {batch[0].ID}, api.InviteAccepted: {inv.ID}, api.InvitePending: slices.Sorted(slices.Values(inviteIDs(batch[1:])))} {
		if got := inviteIDs(must(f.owner.Invites.ListAll(f.ctx, f.pid, api.InviteListOptions{Status: status}))(t)); !slices.Equal(got, want) {
			t.Errorf("invites with status %s: %v; want %v", status, got, want)
		}
	}
}

func TestServerDevClockExpires(t *testing.T) {
	f := start(t)
	before := must(f.owner.Dev.Clock(f.ctx))(t)
	inv := must(f.owner.Invites.Create(f.ctx, f.pid, api.InviteCreate{Email: "eve@acme.test", LifetimeSeconds: 3600}))(t)
	if !inv.ExpiresAt.Equal(inv.CreatedAt.Add(time.Hour)) || inv.CreatedAt.Before(before.Now) {
		t.Errorf("invite %+v; want it created after %s and expiring an hour later", inv, before.Now)
	}
	temp := must(f.owner.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "tom@acme.test", AccessExpiresAt: ptr(before.Now.Add(time.Hour))}))(t)

	now := must(f.owner.Dev.AdvanceClock(f.ctx, 2*time.Hour))(t)
	if d := now.Now.Sub(before.Now); d < 2*time.Hour || d > 2*time.Hour+time.Minute {
		t.Errorf("AdvanceClock(2h) moved the clock by %s", d)
	}
	if c := must(f.owner.Dev.Clock(f.ctx))(t); c.Now.Before(now.Now) {
		t.Errorf("Clock = %s after AdvanceClock answered %s", c.Now, now.Now)
	}
	if got := must(f.owner.Invites.Get(f.ctx, f.pid, inv.ID))(t); got.Status != api.InviteExpired {
		t.Errorf("invite status %q two hours on; want expired", got.Status)
	}
	if got := inviteIDs(must(f.owner.Invites.ListAll(f.ctx, f.pid, api.InviteListOptions{Status: api.InviteExpired}))(t)); !slices.Equal(got, []string{inv.ID}) {
		t.Errorf("expired invites %v; want [%s]", got, inv.ID)
	}
	if got := must(f.owner.Users.Get(f.ctx, f.pid, temp.ID))(t); got.Status != api.UserExpired {
		t.Errorf("user with access until an hour ago has status %q; want expired", got.Status)
	}
	accept := api.InviteAccept{Token: f.mail(t, "eve@acme.test", "invite").Token, Password: password}
	wantErr(t, errOf(newClient(t, f.env, anonymous).Invites.Accept(f.ctx, accept)), client.ErrConflict, api.CodeInviteNotPending)

	re := must(f.owner.Invites.Resend(f.ctx, f.pid, inv.ID, api.InviteResend{LifetimeSeconds: 600}))(t)
	if re.Status != api.InvitePending || re.LifetimeSeconds != 600 || re.ExpiresAt.Before(now.Now.Add(10*time.Minute)) {
		t.Errorf("resent expired invite = %+v; want pending for 10 minutes from %s", re, now.Now)
	}
	wantErr(t, errOf(f.owner.Dev.AdvanceClock(f.ctx, 0)), client.ErrValidation, api.CodeValidationFailed)
}

func TestServerPasswordSetup(t *testing.T) {
	f := start(t)
	u := f.user(t, "pat@acme.test", api.RoleMember)
	m := f.mail(t, "pat@acme.test", "password_setup")
	person := newClient(t, f.env, anonymous)
	err := errOf(person.Password.Setup(f.ctx, api.PasswordSetup{Token: m.Token, Password: "short"}))
	if e := wantAPIError(t, err, client.ErrValidation, api.CodeValidationFailed); !hasField(e, "password") {
		t.Errorf("field errors %+v; want one for password", e.FieldErrors)
	}
	set := must(person.Password.Setup(f.ctx, api.PasswordSetup{Token: m.Token, Password: password}))(t)
	if set.ID != u.ID || set.Status != api.UserActive {
		t.Errorf("Password.Setup = %+v; want user %s active", set, u.ID)
	}
	wantErr(t, errOf(person.Password.Setup(f.ctx, api.PasswordSetup{Token: m.Token, Password: password})), client.ErrNotFound, api.CodeNotFound)
	active := must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{Status: api.UserActive}))(t)
	if !slices.Equal(userIDs(active), []string{u.ID}) {
		t.Errorf("active users %v; want [%s]", userIDs(active), u.ID)
	}
}

func TestServerPasswordReset(t *testing.T) {
	f := start(t)
	u := f.user(t, "reset@acme.test", api.RoleMember)
	sent := must(f.owner.Users.ResetPassword(f.ctx, f.pid, u.ID))(t)
	m := f.mail(t, "reset@acme.test", "password_reset")
	if sent.UserID != u.ID || sent.Email != u.Email || !sent.ExpiresAt.After(m.CreatedAt) {
		t.Errorf("Users.ResetPassword = %+v; want user %s, its email and an expiry after the mail", sent, u.ID)
	}
	person := newClient(t, f.env, anonymous)
	if set := must(person.Password.Setup(f.ctx, api.PasswordSetup{Token: m.Token, Password: password}))(t); set.Status != api.UserActive {
		t.Errorf("the reset link set the password, yet the user is %s", set.Status)
	}
	if err := f.owner.Users.Delete(f.ctx, f.pid, u.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err := f.owner.Users.ResetPassword(f.ctx, f.pid, u.ID)
	wantErr(t, err, client.ErrConflict, api.CodeUserDeleted)
	_, err = f.owner.Users.ResetPassword(f.ctx, f.pid, "usr_missing")
	wantErr(t, err, client.ErrNotFound, api.CodeNotFound)
}

func TestServerAudit(t *testing.T) {
	f := start(t)
	u := f.user(t, "al@acme.test", api.RoleMember)
	noErr(t, errOf(f.owner.Users.Update(f.ctx, f.pid, u.ID, api.UserUpdate{FirstName: ptr("Al")}, u.Version)))
	noErr(t, errOf(f.owner.Dev.AdvanceClock(f.ctx, time.Minute)))
	noErr(t, errOf(f.owner.Grants.Grant(f.ctx, f.pid, u.ID, api.RoleReadOnly)))

	events := must(f.owner.Audit.ListAll(f.ctx, f.pid, api.AuditListOptions{UserID: u.ID}))(t)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
		if e.TargetID != u.ID || e.PartnerID != f.pid || e.Actor.ID != f.env.OwnerID || e.Actor.Type != "user" || e.RequestID == "" || e.ID == "" {
			t.Errorf("event %+v; want one about %s by the owner with a request id", e, u.ID)
		}
	}
	if want := []string{"user.role_granted", "user.updated", "user.created"}; !slices.Equal(actions, want) {
		t.Fatalf("audit actions for %s: %v; want %v (newest first)", u.ID, actions, want)
	}
	upd := must(f.owner.Audit.ListAll(f.ctx, f.pid, api.AuditListOptions{Action: "user.updated", Actor: "owner@acme.test"}))(t)
	if len(upd) != 1 || upd[0].Before["first_name"] != "" || upd[0].After["first_name"] != "Al" {
		t.Errorf("user.updated events %+v; want one, first_name from \"\" to Al", upd)
	}
	since := must(f.owner.Audit.ListAll(f.ctx, f.pid, api.AuditListOptions{UserID: u.ID, Since: &events[0].Time}))(t)
	if len(since) != 1 || since[0].ID != events[0].ID {
		t.Errorf("events since %s: %+v; want only the grant", events[0].Time, since)
	}

	first := must(f.owner.Audit.List(f.ctx, f.pid, api.AuditListOptions{UserID: u.ID, PageSize: 2}))(t)
	rest := must(f.owner.Audit.List(f.ctx, f.pid, api.AuditListOptions{UserID: u.ID, PageSize: 2, PageToken: first.NextPageToken}))(t)
	if len(first.Events) != 2 || first.NextPageToken == "" || len(rest.Events) != 1 || rest.NextPageToken != "" || rest.Events[0].ID != events[2].ID {
		t.Errorf("pages of 2: %+v then %+v; want 2 events, then the oldest alone", first, rest)
	}
}

func TestServerIdempotencyKey(t *testing.T) {
	f := start(t)
	ctx := client.WithIdempotencyKey(f.ctx, "create-ida")
	in := api.UserCreate{Email: "ida@acme.test", Roles: []string{api.RoleMember}}
	a := must(f.owner.Users.Create(ctx, f.pid, in))(t)
	b := must(f.owner.Users.Create(ctx, f.pid, in))(t)
	if a.ID != b.ID || a.Version != b.Version || !a.CreatedAt.Equal(b.CreatedAt) {
		t.Errorf("the replayed create = %+v; want the first answer, %+v", b, a)
	}
	if n := len(must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{Email: in.Email}))(t)); n != 1 {
		t.Errorf("%d users %s after two creates with one key; want 1", n, in.Email)
	}
	if box := must(f.owner.Dev.Outbox(f.ctx, in.Email))(t); len(box.Messages) != 1 {
		t.Errorf("%d mails to %s; want the one of the first create", len(box.Messages), in.Email)
	}
	in.FirstName = "Ida"
	wantErr(t, errOf(f.owner.Users.Create(ctx, f.pid, in)), client.ErrValidation, api.CodeIdempotencyKeyReused)
	wantErr(t, errOf(f.owner.Users.Create(f.ctx, f.pid, in)), client.ErrConflict, api.CodeEmailTaken)
}

func TestServerTenantIsolation(t *testing.T) {
	f := start(t)
	op := newClient(t, f.env, f.env.OperatorToken)
	globex := must(op.Partners.Create(f.ctx, api.PartnerCreate{Name: "Globex"}))(t)
	boss := must(op.Users.Create(f.ctx, globex.ID, api.UserCreate{Email: "boss@globex.test", Roles: []string{api.RoleOwner}}))(t)
	other := f.clientFor(t, op, globex.ID, boss.ID)
	if me := must(other.Me.Get(f.ctx))(t); me.PartnerID != globex.ID || me.Role != api.RoleOwner {
		t.Fatalf("Globex owner Me = %+v", me)
	}

	for what, err := range map[string]error{
		"Users.Get":      errOf(other.Users.Get(f.ctx, f.pid, f.env.OwnerID)),
		"Users.Create":   errOf(other.Users.Create(f.ctx, f.pid, api.UserCreate{Email: "spy@globex.test"})),
		"Partners.Get":   errOf(other.Partners.Get(f.ctx, f.pid)),
		"Grants.Grant":   errOf(other.Grants.Grant(f.ctx, f.pid, f.env.OwnerID, api.RoleMember)),
		"Audit.List":     errOf(other.Audit.List(f.ctx, f.pid, api.AuditListOptions{})),
		"Tokens.Create":  errOf(other.Tokens.Create(f.ctx, f.pid, api.TokenCreate{UserID: f.env.OwnerID, Name: "stolen"})),
		"reverse: Get":   errOf(f.owner.Users.Get(f.ctx, globex.ID, boss.ID)),
		"reverse: Roles": errOf(f.owner.Roles.ListAll(f.ctx, globex.ID)),
	} {
		t.Run(what, func(t *testing.T) { wantErr(t, err, client.ErrNotFound, api.CodeNotFound) })
	}

	err := errOf(other.Users.Create(f.ctx, globex.ID, api.UserCreate{Email: "owner@acme.test"}))
	if e := wantAPIError(t, err, client.ErrConflict, api.CodeEmailTaken); e.Problem.UserID != "" {
		t.Errorf("email_taken across partners names user %q; want no id of another partner's user", e.Problem.UserID)
	}
	if ids := userIDs(must(other.Users.ListAll(f.ctx, globex.ID, api.UserListOptions{}))(t)); !slices.Equal(ids, []string{boss.ID}) {
		t.Errorf("Globex users %v; want only %s", ids, boss.ID)
	}
}

func TestServerRoles(t *testing.T) {
	f := start(t)
	builtins := must(f.owner.Roles.ListAll(f.ctx, f.pid))(t)
	var keys []string
	for _, r := range builtins {
		if !r.BuiltIn || r.PartnerID != "" {
			t.Errorf("role %+v: want a built-in role without partner_id", r)
		}
		keys = append(keys, r.Key)
	}
	if want := []string{api.RoleOwner, api.RoleAdmin, api.RoleManager, api.RoleMember, api.RoleReadOnly}; !slices.Equal(keys, want) {
		t.Errorf("Roles.ListAll keys %v; want %v", keys, want)
	}
	page := must(f.owner.Roles.List(f.ctx, f.pid, client.ListOptions{PageSize: 2}))(t)
	if len(page.Roles) != 2 || page.NextPageToken == "" {
		t.Errorf("Roles.List(page size 2) = %d roles, next %q; want 2 and a next page", len(page.Roles), page.NextPageToken)
	}

	in := api.RoleCreate{Key: "auditor", Name: "Auditor", Rank: 30, Permissions: []string{api.PermPartnerRead, api.PermAuditRead}}
	r := must(f.owner.Roles.Create(f.ctx, f.pid, in))(t)
	if r.Key != "auditor" || r.BuiltIn || r.PartnerID != f.pid || r.Version != 1 ||
		!slices.Equal(r.Permissions, []string{api.PermAuditRead, api.PermPartnerRead}) {
		t.Errorf("Roles.Create = %+v; want custom role auditor at version 1, permissions sorted", r)
	}
	if got := must(f.owner.Roles.Get(f.ctx, f.pid, "auditor"))(t); got.Name != "Auditor" || got.Rank != 30 || got.Version != r.Version {
		t.Errorf("Roles.Get = %+v; want what Create answered", got)
	}
	upd := must(f.owner.Roles.Update(f.ctx, f.pid, "auditor", api.RoleUpdate{Name: ptr("Auditors"), Rank: ptr(35)}, r.Version))(t)
	if upd.Name != "Auditors" || upd.Rank != 35 || upd.Version != r.Version+1 {
		t.Errorf("Roles.Update = %+v; want name Auditors, rank 35, version %d", upd, r.Version+1)
	}
	_, err := f.owner.Roles.Update(f.ctx, f.pid, "auditor", api.RoleUpdate{Name: ptr("Stale")}, r.Version)
	wantErr(t, err, client.ErrPreconditionFailed, api.CodePreconditionFailed)
	_, err = f.owner.Roles.Create(f.ctx, f.pid, api.RoleCreate{Key: "editor", Name: "Editor", Rank: 30, Permissions: []string{api.PermUsersManage}})
	if e := wantAPIError(t, err, client.ErrValidation, api.CodeValidationFailed); !hasField(e, "permissions") {
		t.Errorf("field errors %+v; want one for permissions (users.manage without users.read)", e.FieldErrors)
	}

	u := f.user(t, "aud@acme.test", "auditor")
	wantErr(t, f.owner.Roles.Delete(f.ctx, f.pid, "auditor", upd.Version), client.ErrConflict, api.CodeRoleInUse)
	noErr(t, f.owner.Grants.Revoke(f.ctx, f.pid, u.ID, "auditor"))
	noErr(t, f.owner.Roles.Delete(f.ctx, f.pid, "auditor", upd.Version))
	_, err = f.owner.Roles.Get(f.ctx, f.pid, "auditor")
	wantErr(t, err, client.ErrNotFound, api.CodeNotFound)
	if n := len(must(f.owner.Roles.ListAll(f.ctx, f.pid))(t)); n != len(api.BuiltinRoles) {
		t.Errorf("%d roles after deleting the custom one; want %d", n, len(api.BuiltinRoles))
	}
}

// TestServerPacingAvoids429 runs 60 requests from 4 workers against a portald
// limited to 20 requests a second (burst 5): the client paces itself from the
// RateLimit headers, so every request succeeds and the server answers no 429.
func TestServerPacingAvoids429(t *testing.T) {
	env := portaltest.Start(t, portaltest.Options{RateLimit: 20, RateBurst: 5})
	c := newClient(t, env, env.OwnerToken)
	errs := make(chan error, 60)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 15 {
				_, err := c.Me.Get(context.Background())
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	res := env.Do(t, "", http.MethodGet, "/metrics", nil)
	if !strings.Contains(string(res.Body), `portald_http_requests_total{route="GET /v1/me",status="200"} 60`) {
		t.Fatalf("the server did not count 60 successful requests:\n%s", res.Body)
	}
	if strings.Contains(string(res.Body), `status="429"`) {
		t.Fatalf("the server answered 429 although the client paces itself:\n%s", res.Body)
	}
}
