package portalserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func (w *world) resetPath(userID string) string {
	return w.usersPath(w.PartnerID) + "/" + userID + "/password-reset"
}

// mails is every mail to the address, oldest first.
func (w *world) mails(to string) []api.OutboxMessage {
	w.t.Helper()
	var out api.OutboxList
	w.Do(w.t, "", http.MethodGet, "/v1/dev/outbox?to="+url.QueryEscape(to), nil).Decode(w.t, &out)
	return out.Messages
}

func (w *world) setPassword(token string) int {
	w.t.Helper()
	return w.Do(w.t, "", http.MethodPost, "/v1/password-setup", api.PasswordSetup{Token: token, Password: "correct horse battery"}).Status
}

// A reset mails a link that sets a new password through POST
// /v1/password-setup and expires after a day; the answer says where it went
// and when it expires, never a password or the link's token.
func TestPasswordResetMailsATimeLimitedLink(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "Reset@Acme.test", api.RoleMember)
	if w.setPassword(w.lastMail("reset@acme.test").Token) != http.StatusOK {
		t.Fatal("the setup link did not set the password")
	}
	userPath := w.usersPath(w.PartnerID) + "/" + u.ID
	before := w.Do(t, w.OwnerToken, http.MethodGet, userPath, nil).Header.Get("ETag")
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil)
	wantStatus(t, res, http.StatusAccepted)
	var sent api.PasswordReset
	res.Decode(t, &sent)
	mail := w.lastMail("reset@acme.test")
	if mail.Kind != "password_reset" || !strings.Contains(mail.Link, mail.Token) || !strings.Contains(mail.Body, mail.Link) {
		t.Fatalf("mail = %+v, want a password_reset mail with its link", mail)
	}
	if sent.UserID != u.ID || sent.Email != "Reset@Acme.test" || !sent.ExpiresAt.Equal(mail.CreatedAt.Add(24*time.Hour)) {
		t.Fatalf("answer %+v; want user %s, its email, and an expiry a day after the mail (%s)", sent, u.ID, mail.CreatedAt)
	}
	var raw map[string]any
	res.Decode(t, &raw)
	for k, v := range raw {
		if s, _ := v.(string); strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "token") || s == mail.Token {
			t.Errorf("the answer holds %s = %v: no password or token belongs in it", k, v)
		}
	}
	if after := w.Do(t, w.OwnerToken, http.MethodGet, userPath, nil).Header.Get("ETag"); after != before {
		t.Errorf("the user's version went from %s to %s with the reset; nothing about the user changes until the link is used", before, after)
	}

	w.advance(24*time.Hour + time.Second)
	if got := w.setPassword(mail.Token); got != http.StatusNotFound {
		t.Fatalf("a reset link a day old set a password: %d, want 404", got)
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil), http.StatusAccepted)
	if got := w.setPassword(w.lastMail("reset@acme.test").Token); got != http.StatusOK {
		t.Fatalf("a new reset link did not set the password: %d", got)
	}
}

// A new reset link makes the user's earlier unused links stop working, the
// setup link of a user who never set a password among them; the new one
// makes that user active.
func TestPasswordResetReplacesEarlierLinks(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "invited@acme.test", api.RoleMember)
	setup := w.lastMail("invited@acme.test")
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil), http.StatusAccepted)
	first := w.lastMail("invited@acme.test")
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil), http.StatusAccepted)
	second := w.lastMail("invited@acme.test")
	for _, old := range []api.OutboxMessage{setup, first} {
		if got := w.setPassword(old.Token); got != http.StatusNotFound {
			t.Errorf("the earlier %s link still works: %d, want 404", old.Kind, got)
		}
	}
	res := w.Do(t, "", http.MethodPost, "/v1/password-setup", api.PasswordSetup{Token: second.Token, Password: "correct horse battery"})
	wantStatus(t, res, http.StatusOK)
	var after api.User
	res.Decode(t, &after)
	if after.Status != api.UserActive {
		t.Fatalf("status after the reset link = %s, want active", after.Status)
	}
}

// A reset is a change to the user for the rules: users.manage, which
// user_admin_min_role withholds; a target ranked below the caller; the
// partner's own users; a live user. A refused reset mails nothing.
func TestPasswordResetFollowsTheRulesOfUserChanges(t *testing.T) {
	w := newWorld(t)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	_, member := w.actor("member@acme.test", api.RoleMember)
	peer := w.user(w.PartnerID, "peer@acme.test", api.RoleAdmin)
	below := w.user(w.PartnerID, "below@acme.test", api.RoleMember)
	removed := w.user(w.PartnerID, "removed@acme.test", api.RoleMember)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+removed.ID, nil), http.StatusNoContent)
	other, otherOwner := w.partner("Other", "owner@other.test")
	stranger := w.user(other, "stranger@other.test", api.RoleMember)

	wantProblem(t, w.Do(t, member, http.MethodPost, w.resetPath(below.ID), nil), http.StatusForbidden, api.CodeForbidden)
	wantProblem(t, w.Do(t, admin, http.MethodPost, w.resetPath(peer.ID), nil), http.StatusForbidden, api.CodeInsufficientRank)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(removed.ID), nil), http.StatusConflict, api.CodeUserDeleted)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath("usr_missing"), nil), http.StatusNotFound, api.CodeNotFound)
	wantProblem(t, w.Do(t, otherOwner, http.MethodPost, w.resetPath(below.ID), nil), http.StatusNotFound, api.CodeNotFound)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, "/v1/partners/"+other+"/users/"+stranger.ID+"/password-reset", nil),
		http.StatusNotFound, api.CodeNotFound)

	wantStatus(t, w.Do(t, manager, http.MethodPost, w.resetPath(below.ID), nil), http.StatusAccepted)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, "/v1/partners/"+w.PartnerID,
		api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleAdmin}}), http.StatusOK)
	p := wantProblem(t, w.Do(t, manager, http.MethodPost, w.resetPath(below.ID), nil), http.StatusForbidden, api.CodeForbidden)
	if !strings.Contains(p.Detail, "user_admin_min_role") {
		t.Errorf("detail %q does not name the setting", p.Detail)
	}
	wantStatus(t, w.Do(t, admin, http.MethodPost, w.resetPath(below.ID), nil), http.StatusAccepted)

	for email, want := range map[string]int{"below@acme.test": 2, "peer@acme.test": 0, "removed@acme.test": 0, "stranger@other.test": 0} {
		resets := 0
		for _, m := range w.mails(email) {
			if m.Kind == "password_reset" {
				resets++
			}
		}
		if resets != want {
			t.Errorf("%d reset mails to %s, want %d", resets, email, want)
		}
	}
}

// A retry with the same Idempotency-Key replays the answer and mails once;
// the audit trail records the reset with its actor and no token.
func TestPasswordResetIsIdempotentAndAudited(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "again@acme.test", api.RoleMember)
	first := w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil, "Idempotency-Key", "reset-1")
	wantStatus(t, first, http.StatusAccepted)
	again := w.Do(t, w.OwnerToken, http.MethodPost, w.resetPath(u.ID), nil, "Idempotency-Key", "reset-1")
	wantStatus(t, again, http.StatusAccepted)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\nfirst %s\nagain %s (replayed=%q)", first.Body, again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	if n := len(w.mails("again@acme.test")); n != 2 { // the setup link, then one reset
		t.Fatalf("%d mails, want 2: the setup link and one reset", n)
	}

	var list api.AuditEventList
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?action="+api.AuditUserPasswordResetSent, nil).Decode(t, &list)
	if len(list.Events) != 1 {
		t.Fatalf("%d %s events, want 1", len(list.Events), api.AuditUserPasswordResetSent)
	}
	e := list.Events[0]
	after, _ := json.Marshal(e.After)
	if e.TargetID != u.ID || e.Actor.ID != w.OwnerID || e.Before != nil || !strings.Contains(string(after), `"expires_at"`) ||
		strings.Contains(string(after), w.lastMail("again@acme.test").Token) {
		t.Fatalf("event %+v (after %s): want the user, the owner as actor, and the reset without its token", e, after)
	}
}
