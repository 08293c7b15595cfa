package portalserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// How portald reads the values it is given: email addresses, text and times.

// Every spelling of one mailbox is one login: Unicode and punycode domains,
// composed and decomposed characters, any case.
func TestOneMailboxIsOneAccount(t *testing.T) {
	w := newWorld(t)
	first := w.user(w.PartnerID, "w@bücher.example", api.RoleMember)
	if first.Email != "w@bücher.example" {
		t.Fatalf("email stored as %q, want it kept as given", first.Email)
	}
	other, otherToken := w.partner("Initech", "boss@initech.test")
	for _, c := range []struct{ token, partner, email string }{
		{w.OwnerToken, w.PartnerID, "w@xn--bcher-kva.example"},
		{w.OwnerToken, w.PartnerID, "w@bu\u0308cher.example"}, // u + combining diaeresis (NFD)
		{otherToken, other, "W@BÜCHER.example"},
		{otherToken, other, "w@XN--BCHER-KVA.EXAMPLE"},
	} {
		res := w.Do(t, c.token, http.MethodPost, w.usersPath(c.partner), api.UserCreate{Email: c.email})
		p := wantProblem(t, res, http.StatusConflict, api.CodeEmailTaken)
		if !hasField(p, "email") {
			t.Fatalf("%q: %+v, want a field error on email", c.email, p)
		}
		if res = w.Do(t, c.token, http.MethodPost, "/v1/partners/"+c.partner+"/invites", api.InviteCreate{Email: c.email}); res.Status != http.StatusConflict {
			t.Fatalf("invite to %q: %d %s, want 409", c.email, res.Status, res.Body)
		}
	}
	// Lookups by email and domain find the account whatever the spelling.
	for _, q := range []string{"?email=w@xn--bcher-kva.example", "?email=W@Bu%CC%88cher.example", "?email_domain=xn--bcher-kva.example", "?email_domain=B%C3%BCcher.example"} {
		if list := w.listUsers(q); len(list) != 1 || list[0].ID != first.ID {
			t.Fatalf("list %s: %+v, want only %s", q, list, first.ID)
		}
	}
}

// A body that is not UTF-8 is refused whole, not rewritten with U+FFFD.
func TestInvalidUTF8IsRefusedNotRewritten(t *testing.T) {
	w := newWorld(t)
	path := w.usersPath(w.PartnerID)
	res := w.Do(t, w.OwnerToken, http.MethodPost, path, []byte("{\"email\":\"u\xfftf@acme.test\"}"))
	wantProblem(t, res, http.StatusBadRequest, api.CodeInvalidRequest)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	if list := w.listUsers(""); len(list) != 1 {
		t.Fatalf("%d users after an invalid UTF-8 body, want only the owner: %+v", len(list), list)
	}
}

// No text field holds control characters or bidirectional overrides.
func TestTextFieldsRefuseControlAndBidiCharacters(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "plain@acme.test")
	partner := "/v1/partners/" + w.PartnerID
	for _, bad := range []string{"A\u0000B", "Ann\nEve", "Tab\there", "abc\u202Egnp.exe", "x\u2066y"} {
		for _, c := range []struct {
			method, path string
			body         any
			field        string
		}{
			{http.MethodPost, partner + "/users", api.UserCreate{Email: "t@acme.test", FirstName: bad}, "first_name"},
			{http.MethodPost, partner + "/users", api.UserCreate{Email: "t" + bad + "@acme.test"}, "email"},
			{http.MethodPatch, partner + "/users/" + u.ID, api.UserUpdate{LastName: &bad}, "last_name"},
			{http.MethodPost, partner + "/invites", api.InviteCreate{Email: bad + "@acme.test"}, "email"},
			{http.MethodPost, partner + "/roles", api.RoleCreate{Key: "clerk", Name: bad, Rank: 10, Permissions: []string{}}, "name"},
			{http.MethodPost, partner + "/roles", api.RoleCreate{Key: "clerk", Name: "Clerk", Description: bad, Rank: 10, Permissions: []string{}}, "description"},
			{http.MethodPatch, partner, api.PartnerUpdate{Name: &bad}, "name"},
			{http.MethodPost, "/v1/partners", api.PartnerCreate{Name: bad}, "name"},
			{http.MethodPost, partner + "/tokens", api.TokenCreate{UserID: u.ID, Name: bad}, "name"},
			{http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: "invtok_x", Password: "long enough secret", FirstName: bad}, "first_name"},
		} {
			token := w.OwnerToken
			if c.path == "/v1/partners" {
				token = w.OperatorToken
			}
			p := wantProblem(t, w.Do(t, token, c.method, c.path, c.body), http.StatusUnprocessableEntity, api.CodeValidationFailed)
			if !hasField(p, c.field) {
				t.Errorf("%s %s with %q in %s: %+v, want a field error on %s", c.method, c.path, bad, c.field, p.Errors, c.field)
			}
		}
	}
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID, nil).Decode(t, &got)
	if got.LastName != "" || got.Version != u.Version {
		t.Fatalf("a refused update changed the user: %+v", got)
	}
}

// Times are kept to the microsecond: one sent with six fractional digits
// reads back exactly, and a finer one is refused instead of truncated.
func TestTimesKeepMicrosecondsAndRefuseFiner(t *testing.T) {
	w := newWorld(t)
	path := w.usersPath(w.PartnerID)

	res := w.Do(t, w.OwnerToken, http.MethodPost, path, `{"email":"micro@acme.test","access_expires_at":"2031-01-02T03:04:05.999999Z"}`)
	wantStatus(t, res, http.StatusCreated)
	if !strings.Contains(string(res.Body), `"access_expires_at":"2031-01-02T03:04:05.999999Z"`) {
		t.Fatalf("create answered %s, want access_expires_at 2031-01-02T03:04:05.999999Z exactly", res.Body)
	}
	var u api.User
	res.Decode(t, &u)
	res = w.Do(t, w.OwnerToken, http.MethodGet, path+"/"+u.ID, nil)
	if !strings.Contains(string(res.Body), `"access_expires_at":"2031-01-02T03:04:05.999999Z"`) {
		t.Fatalf("read back %s, want access_expires_at 2031-01-02T03:04:05.999999Z exactly", res.Body)
	}
	// Another offset is the same instant, answered in UTC.
	res = w.Do(t, w.OwnerToken, http.MethodPatch, path+"/"+u.ID, `{"access_expires_at":"2031-01-02T05:04:05.5+02:00"}`)
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), `"access_expires_at":"2031-01-02T03:04:05.5Z"`) {
		t.Fatalf("update answered %s, want access_expires_at 2031-01-02T03:04:05.5Z", res.Body)
	}

	for name, body := range map[string]string{
		"create": `{"email":"nano@acme.test","access_expires_at":"2031-01-02T03:04:05.123456789Z"}`,
		"update": `{"access_expires_at":"2031-01-02T03:04:05.1234567Z"}`,
	} {
		method, target := http.MethodPost, path
		if name == "update" {
			method, target = http.MethodPatch, path+"/"+u.ID
		}
		p := wantProblem(t, w.Do(t, w.OwnerToken, method, target, body), http.StatusUnprocessableEntity, api.CodeValidationFailed)
		if !hasField(p, "access_expires_at") {
			t.Fatalf("%s with nanoseconds: %+v, want a field error on access_expires_at", name, p)
		}
	}
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, path+"/"+u.ID, nil).Decode(t, &got)
	if got.AccessExpiresAt == nil || got.AccessExpiresAt.Nanosecond() != 500_000_000 {
		t.Fatalf("a refused update changed access_expires_at to %v", got.AccessExpiresAt)
	}
	if len(w.listUsers("?email=nano@acme.test")) != 0 {
		t.Fatal("a refused create stored the user")
	}

	// A query parameter too: 400, naming it.
	p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?since=2026-01-01T00:00:00.000000001Z", nil),
		http.StatusBadRequest, api.CodeInvalidRequest)
	if !hasField(p, "since") {
		t.Fatalf("since with nanoseconds: %+v, want a field error on since", p)
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?since=2026-01-01T00:00:00.000001Z", nil), http.StatusOK)
}
