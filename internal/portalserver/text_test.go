package portalserver_test

import (
	"net/http"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// A body that is not UTF-8 is refused whole, not rewritten with U+FFFD.
func TestInvalidUTF8IsRefusedNotRewritten(t *testing.T) {
	w := newWorld(t)
	path := w.usersPath(w.PartnerID)
	res := w.Do(t, w.OwnerToken, http.MethodPost, path, []byte("{\"email\":\"u\xfftf@acme.test\"}"))
	wantProblem(t, res, http.StatusBadRequest, api.CodeInvalidRequest)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var list api.UserList
	w.Do(t, w.OwnerToken, http.MethodGet, path, nil).Decode(t, &list)
	if len(list.Users) != 1 {
		t.Fatalf("%d users after an invalid UTF-8 body, want only the owner: %+v", len(list.Users), list.Users)
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
