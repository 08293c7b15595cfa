package portalserver_test

import (
	"net/http"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

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
		var list api.UserList
		w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+q, nil).Decode(t, &list)
		if len(list.Users) != 1 || list.Users[0].ID != first.ID {
			t.Fatalf("list %s: %+v, want only %s", q, list.Users, first.ID)
		}
	}
}
