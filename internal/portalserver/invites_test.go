package portalserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func (w *world) invitesPath() string { return "/v1/partners/" + w.PartnerID + "/invites" }

// lastMail returns the newest mail to an address from the dev outbox.
func (w *world) lastMail(to string) api.OutboxMessage {
	w.t.Helper()
	var out api.OutboxList
	w.Do(w.t, "", http.MethodGet, "/v1/dev/outbox?to="+url.QueryEscape(to), nil).Decode(w.t, &out)
	if len(out.Messages) == 0 {
		w.t.Fatalf("no mail to %s", to)
	}
	return out.Messages[len(out.Messages)-1]
}

func (w *world) advance(d time.Duration) {
	w.t.Helper()
	wantStatus(w.t, w.Do(w.t, "", http.MethodPost, "/v1/dev/clock/advance", api.ClockAdvance{Seconds: int64(d.Seconds())}), http.StatusOK)
}

func (w *world) invite(in api.InviteCreate) api.Invite {
	w.t.Helper()
	res := w.Do(w.t, w.OwnerToken, http.MethodPost, w.invitesPath(), in)
	wantStatus(w.t, res, http.StatusCreated)
	var inv api.Invite
	res.Decode(w.t, &inv)
	return inv
}

func TestInviteAcceptedThroughTheMailedLink(t *testing.T) {
	w := newWorld(t)
	inv := w.invite(api.InviteCreate{Email: "New@Acme.test", Roles: []string{api.RoleMember}})
	if inv.Status != api.InvitePending || inv.SendCount != 1 || inv.RespondedAt != nil {
		t.Fatalf("new invite %+v", inv)
	}
	if got := inv.ExpiresAt.Sub(inv.CreatedAt); got != 7*24*time.Hour {
		t.Fatalf("default lifetime %v, want 7 days", got)
	}
	// A second invite for the same address while one is pending.
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath(), api.InviteCreate{Email: "new@acme.test"})
	if p := wantProblem(t, res, http.StatusConflict, api.CodeInviteExists); p.InviteID != inv.ID {
		t.Fatalf("invite_id = %q, want %s", p.InviteID, inv.ID)
	}

	mail := w.lastMail("new@acme.test")
	if mail.Kind != "invite" || mail.Token == "" {
		t.Fatalf("mail %+v", mail)
	}
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: mail.Token, Password: "short"}), http.StatusUnprocessableEntity, api.CodeValidationFailed)
	res = w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: mail.Token, Password: "correct horse battery", FirstName: "Nia"})
	wantStatus(t, res, http.StatusCreated)
	var u api.User
	res.Decode(t, &u)
	if u.Status != api.UserActive || u.Roles[0] != api.RoleMember || u.FirstName != "Nia" {
		t.Fatalf("accepted user %+v", u)
	}
	var got api.Invite
	w.Do(t, w.OwnerToken, http.MethodGet, w.invitesPath()+"/"+inv.ID, nil).Decode(t, &got)
	if got.Status != api.InviteAccepted || got.UserID != u.ID || got.RespondedAt == nil {
		t.Fatalf("after accept %+v", got)
	}
	// The link works once.
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: mail.Token, Password: "correct horse battery"}), http.StatusConflict, api.CodeInviteNotPending)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/"+inv.ID+"/revoke", nil), http.StatusConflict, api.CodeInviteNotPending)

	var list api.InviteList
	w.Do(t, w.OwnerToken, http.MethodGet, w.invitesPath()+"?status=accepted", nil).Decode(t, &list)
	if len(list.Invites) != 1 {
		t.Fatalf("accepted invites: %d, want 1", len(list.Invites))
	}
}

func TestInviteExpiresAndResendRenewsTokenAndExpiry(t *testing.T) {
	w := newWorld(t)
	inv := w.invite(api.InviteCreate{Email: "late@acme.test", LifetimeSeconds: 3600})
	oldToken := w.lastMail("late@acme.test").Token
	w.advance(2 * time.Hour)

	var got api.Invite
	w.Do(t, w.OwnerToken, http.MethodGet, w.invitesPath()+"/"+inv.ID, nil).Decode(t, &got)
	if got.Status != api.InviteExpired {
		t.Fatalf("status after its lifetime = %s, want expired", got.Status)
	}
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: oldToken, Password: "correct horse battery"}), http.StatusConflict, api.CodeInviteNotPending)

	res := w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/"+inv.ID+"/resend", nil)
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &got)
	if got.Status != api.InvitePending || got.SendCount != 2 || !got.ExpiresAt.After(inv.ExpiresAt) {
		t.Fatalf("after resend %+v", got)
	}
	newToken := w.lastMail("late@acme.test").Token
	if newToken == oldToken {
		t.Fatal("resend kept the old token")
	}
	// The old link is dead; the new one works.
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: oldToken, Password: "correct horse battery"}), http.StatusNotFound, api.CodeNotFound)
	wantStatus(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: newToken, Password: "correct horse battery"}), http.StatusCreated)
}

func TestInviteLifetimeAndBatchLimits(t *testing.T) {
	w := newWorld(t)
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath(), api.InviteCreate{Email: "a@acme.test", LifetimeSeconds: 31 * 24 * 3600})
	if p := res.Problem(t); res.Status != http.StatusUnprocessableEntity || !hasField(p, "lifetime_seconds") {
		t.Fatalf("31-day lifetime: %d %+v", res.Status, p)
	}
	inv := w.invite(api.InviteCreate{Email: "a@acme.test", LifetimeSeconds: 30 * 24 * 3600})
	if inv.ExpiresAt.Sub(inv.CreatedAt) != 30*24*time.Hour {
		t.Fatalf("30-day lifetime not kept: %v", inv.ExpiresAt.Sub(inv.CreatedAt))
	}

	batch := api.InviteBatchCreate{}
	for i := range 11 {
		batch.Invites = append(batch.Invites, api.InviteCreate{Email: "b" + letter(i) + "@acme.test", Roles: []string{api.RoleReadOnly}})
	}
	res = w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/batch", batch)
	if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
		t.Fatalf("batch of 11: %d, want refused", res.Status)
	}
	// One bad entry refuses the whole batch.
	batch.Invites = batch.Invites[:10]
	batch.Invites[9].Roles = []string{"wizard"}
	res = w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/batch", batch)
	if p := wantProblem(t, res, http.StatusUnprocessableEntity, api.CodeValidationFailed); !hasField(p, "invites[9].roles[0]") {
		t.Fatalf("batch problem does not name the entry: %+v", p)
	}
	var list api.InviteList
	w.Do(t, w.OwnerToken, http.MethodGet, w.invitesPath(), nil).Decode(t, &list)
	if len(list.Invites) != 1 {
		t.Fatalf("%d invites after a refused batch, want 1", len(list.Invites))
	}
	batch.Invites[9].Roles = nil
	res = w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/batch", batch)
	wantStatus(t, res, http.StatusCreated)
	res.Decode(t, &list)
	if len(list.Invites) != 10 {
		t.Fatalf("batch created %d, want 10", len(list.Invites))
	}
}

func TestInviteRevokeAndUpdate(t *testing.T) {
	w := newWorld(t)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	res := w.Do(t, manager, http.MethodPost, w.invitesPath(), api.InviteCreate{Email: "x@acme.test", Roles: []string{api.RoleManager}})
	wantProblem(t, res, http.StatusForbidden, api.CodeRoleAboveCeiling)

	inv := w.invite(api.InviteCreate{Email: "x@acme.test", Roles: []string{api.RoleMember}})
	path := w.invitesPath() + "/" + inv.ID
	res = w.Do(t, w.OwnerToken, http.MethodPatch, path, api.InviteUpdate{Roles: &[]string{api.RoleManager, api.RoleMember}}, "If-Match", `"1"`)
	wantStatus(t, res, http.StatusOK)
	var got api.Invite
	res.Decode(t, &got)
	if len(got.Roles) != 2 || got.Version != 2 {
		t.Fatalf("after update %+v", got)
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPatch, path, api.InviteUpdate{Roles: &[]string{}}, "If-Match", `"1"`), http.StatusPreconditionFailed, api.CodePreconditionFailed)

	res = w.Do(t, w.OwnerToken, http.MethodPost, path+"/revoke", nil)
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &got)
	if got.Status != api.InviteRevoked {
		t.Fatalf("status %s, want revoked", got.Status)
	}
	token := w.lastMail("x@acme.test").Token
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: token, Password: "correct horse battery"}), http.StatusConflict, api.CodeInviteNotPending)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPatch, path, api.InviteUpdate{Roles: &[]string{}}), http.StatusConflict, api.CodeInviteNotPending)
	// A revoked invite frees the address for a new one.
	w.invite(api.InviteCreate{Email: "x@acme.test"})
}

func TestAccessExpiresAtEndsAccess(t *testing.T) {
	w := newWorld(t)
	end := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "temp@acme.test", Roles: []string{api.RoleManager}, AccessExpiresAt: &end})
	wantStatus(t, res, http.StatusCreated)
	var u api.User
	res.Decode(t, &u)
	if u.AccessExpiresAt == nil || !u.AccessExpiresAt.Equal(end) {
		t.Fatalf("access_expires_at = %v, want %v", u.AccessExpiresAt, end)
	}
	token := w.tokenFor(w.PartnerID, u.ID)
	wantStatus(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusOK)

	w.advance(25 * time.Hour)
	wantProblem(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID, nil).Decode(t, &got)
	if got.Status != api.UserExpired {
		t.Fatalf("status = %s, want expired", got.Status)
	}
	if list := w.listUsers("?status=expired"); len(list) != 1 || list[0].ID != u.ID {
		t.Fatalf("status=expired lists %+v", list)
	}
	// Clearing the expiry gives access back.
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+u.ID, api.UserUpdate{ClearAccessExpiry: true}), http.StatusOK)
	wantStatus(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusOK)
}

func TestAccessDurationFromInvite(t *testing.T) {
	w := newWorld(t)
	w.invite(api.InviteCreate{Email: "contractor@acme.test", Roles: []string{api.RoleMember}, AccessDurationSeconds: 3600})
	res := w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: w.lastMail("contractor@acme.test").Token, Password: "correct horse battery"})
	wantStatus(t, res, http.StatusCreated)
	var u api.User
	res.Decode(t, &u)
	if u.AccessExpiresAt == nil || u.AccessExpiresAt.Sub(u.CreatedAt) != time.Hour {
		t.Fatalf("access_expires_at = %v for a one-hour invite created %v", u.AccessExpiresAt, u.CreatedAt)
	}
}

func TestPasswordSetupActivatesUser(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "fresh@acme.test", api.RoleMember)
	mail := w.lastMail("fresh@acme.test")
	if mail.Kind != "password_setup" {
		t.Fatalf("mail kind %q, want password_setup", mail.Kind)
	}
	res := w.Do(t, "", http.MethodPost, "/v1/password-setup", api.PasswordSetup{Token: mail.Token, Password: "correct horse battery"})
	wantStatus(t, res, http.StatusOK)
	var got api.User
	res.Decode(t, &got)
	if got.ID != u.ID || got.Status != api.UserActive {
		t.Fatalf("after password setup %+v", got)
	}
	wantProblem(t, w.Do(t, "", http.MethodPost, "/v1/password-setup", api.PasswordSetup{Token: mail.Token, Password: "correct horse battery"}), http.StatusNotFound, api.CodeNotFound)
}
