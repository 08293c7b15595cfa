package portalserver_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

func TestMalformedIfMatchIs400NotStale(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "etag@acme.test")
	path := w.usersPath(w.PartnerID) + "/" + u.ID
	for _, bad := range []string{"garbage", "1", `"1`, `W/1`, ","} {
		p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPatch, path, api.UserUpdate{FirstName: ptr("X")}, "If-Match", bad),
			http.StatusBadRequest, api.CodeInvalidRequest)
		if !hasField(p, "If-Match") {
			t.Fatalf("If-Match %s: %+v, want a field error on If-Match", bad, p)
		}
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil, "If-Match", "garbage"), http.StatusBadRequest, api.CodeInvalidRequest)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPatch, path, api.UserUpdate{FirstName: ptr("X")}, "If-Match", `"9"`),
		http.StatusPreconditionFailed, api.CodePreconditionFailed)
	for i, good := range []string{`"1"`, `W/"2"`, `"7", "3"`, `*`} {
		res := w.Do(t, w.OwnerToken, http.MethodPatch, path, api.UserUpdate{FirstName: ptr("X" + letter(i))}, "If-Match", good)
		wantStatus(t, res, http.StatusOK)
	}
}

func TestBodyWithoutContentTypeIs415(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPost, w.usersPath(w.PartnerID), `{"email":"typeless@acme.test"}`},
		{http.MethodPatch, "/v1/partners/" + w.PartnerID, `{"name":"Renamed"}`},
	} {
		req, err := http.NewRequest(c.method, w.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+w.OwnerToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got := &portaltest.Response{Status: res.StatusCode, Header: res.Header, Body: body}
		wantProblem(t, got, http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia)
	}
	list := w.listUsers("?email=typeless@acme.test")
	var pt api.Partner
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID, nil).Decode(t, &pt)
	if len(list) != 0 || pt.Name != "Acme" {
		t.Fatalf("a body without Content-Type was applied: %d users, partner %q", len(list), pt.Name)
	}
}

// Page tokens are signed: the server takes back only the ones it issued,
// each on the list it came from, also after a restart.
func TestPageTokensAreSignedAndSurviveRestart(t *testing.T) {
	env := newRestartable(t)
	boot := env.boot
	users := "/v1/partners/" + boot.PartnerID + "/users"
	for _, email := range []string{"a@acme.test", "b@acme.test"} {
		wantStatus(t, env.Do(t, boot.Token, http.MethodPost, users, api.UserCreate{Email: email}), http.StatusCreated)
	}
	var page api.UserList
	env.Do(t, boot.Token, http.MethodGet, users+"?page_size=1", nil).Decode(t, &page)
	token := page.NextPageToken
	if token == "" {
		t.Fatal("no next page")
	}
	payload, _, _ := strings.Cut(token, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := map[string]string{
		"unsigned, as tokens used to be": base64.RawURLEncoding.EncodeToString(raw),
		"another last key, same MAC":     strings.Replace(token, payload, base64.RawURLEncoding.EncodeToString([]byte("v1:usr_0")), 1),
		"truncated MAC":                  token[:len(token)-2],
	}
	for name, tok := range forged {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, env.Do(t, boot.Token, http.MethodGet, users+"?page_size=1&page_token="+tok, nil), http.StatusBadRequest, api.CodeInvalidRequest)
		})
	}
	// Another list's token is refused too.
	wantProblem(t, env.Do(t, boot.Token, http.MethodGet, "/v1/partners/"+boot.PartnerID+"/invites?page_token="+token, nil),
		http.StatusBadRequest, api.CodeInvalidRequest)
	env.restart()
	var next api.UserList
	res := env.Do(t, boot.Token, http.MethodGet, users+"?page_size=1&page_token="+token, nil)
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &next)
	if len(next.Users) != 1 || next.Users[0].ID == page.Users[0].ID {
		t.Fatalf("the second page after a restart: %+v", next.Users)
	}
}

func TestInviteTokenIsNotAnInviteID(t *testing.T) {
	w := newWorld(t)
	inv := w.invite(api.InviteCreate{Email: "newbie@acme.test", Roles: []string{api.RoleMember}})
	mail := w.lastMail("newbie@acme.test")
	if !strings.HasPrefix(mail.Token, "invtok_") || strings.HasPrefix(mail.Token, "inv_") || !strings.HasPrefix(inv.ID, "inv_") {
		t.Fatalf("invite %s mailed token %q, want the prefix invtok_, not the ids' inv_", inv.ID, mail.Token)
	}
	res := w.Do(t, "", http.MethodPost, "/v1/invites/accept", api.InviteAccept{Token: mail.Token, Password: "correct horse battery"})
	wantStatus(t, res, http.StatusCreated)
}

func TestRoleInUseNamesOnlyLiveHoldersAndOpenInvites(t *testing.T) {
	w := newWorld(t)
	path := "/v1/partners/" + w.PartnerID + "/roles"
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, path, api.RoleCreate{Key: "clerk", Name: "Clerk", Rank: 10, Permissions: []string{}}), http.StatusCreated)
	live := w.user(w.PartnerID, "live@acme.test", "clerk")
	gone := w.user(w.PartnerID, "gone@acme.test", "clerk")
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+gone.ID, nil), http.StatusNoContent)
	inv := w.invite(api.InviteCreate{Email: "later@acme.test", Roles: []string{"clerk"}})

	p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path+"/clerk", nil), http.StatusConflict, api.CodeRoleInUse)
	if !strings.Contains(p.Detail, live.ID) || !strings.Contains(p.Detail, inv.ID) || strings.Contains(p.Detail, gone.ID) {
		t.Fatalf("role_in_use detail %q: want %s and %s named, not the removed %s", p.Detail, live.ID, inv.ID, gone.ID)
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+live.ID+"/roles/clerk", nil), http.StatusNoContent)
	p = wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path+"/clerk", nil), http.StatusConflict, api.CodeRoleInUse)
	if strings.Contains(p.Detail, live.ID) || !strings.Contains(p.Detail, inv.ID) {
		t.Fatalf("role_in_use detail %q: want only the invite %s", p.Detail, inv.ID)
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath()+"/"+inv.ID+"/revoke", nil), http.StatusOK)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, path+"/clerk", nil), http.StatusNoContent)
	var restored api.User
	w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID)+"/"+gone.ID+"/restore", nil).Decode(t, &restored)
	if len(restored.Roles) != 0 {
		t.Fatalf("the removed user came back with the deleted role: %v", restored.Roles)
	}
}
