package portalserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// Where portald and its contract disagreed, the server now does what the
// contract says. These go through portaltest.Env.Do, which checks every
// exchange against the OpenAPI document, so the two cannot drift apart.

func TestEveryBadFieldIsReportedAtOnce(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "someone@acme.test", api.RoleMember)
	cases := []struct {
		name, method, path string
		body               any
		fields             []string
	}{
		{"create user", http.MethodPost, w.usersPath(w.PartnerID),
			api.UserCreate{Email: "new@acme.test", Phone: "+1", Roles: []string{api.RoleMember, "wizard"}}, []string{"phone", "roles[1]"}},
		{"update user", http.MethodPatch, w.usersPath(w.PartnerID) + "/" + u.ID,
			api.UserUpdate{FirstName: ptr(strings.Repeat("x", 101)), Roles: &[]string{"wizard"}}, []string{"first_name", "roles[0]"}},
		{"replace roles", http.MethodPut, w.usersPath(w.PartnerID) + "/" + u.ID + "/roles",
			api.GrantsReplace{Roles: []string{"wizard", api.RoleMember, "elf"}}, []string{"roles[0]", "roles[2]"}},
		{"invite", http.MethodPost, w.invitesPath(),
			api.InviteCreate{Email: "nope", Roles: []string{"wizard"}, LifetimeSeconds: 5}, []string{"email", "roles[0]", "lifetime_seconds"}},
		{"batch", http.MethodPost, w.invitesPath() + "/batch",
			api.InviteBatchCreate{Invites: []api.InviteCreate{{Email: "a@acme.test", Roles: []string{"wizard"}}, {Email: "nope"}}},
			[]string{"invites[0].roles[0]", "invites[1].email"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := wantProblem(t, w.Do(t, w.OwnerToken, c.method, c.path, c.body), http.StatusUnprocessableEntity, api.CodeValidationFailed)
			for _, f := range c.fields {
				if !hasField(p, f) {
					t.Errorf("errors %+v lack %s", p.Errors, f)
				}
			}
			if len(p.Errors) != len(c.fields) {
				t.Errorf("errors %+v, want exactly %v", p.Errors, c.fields)
			}
		})
	}
}

func TestRoleRankAboveCreatorIs403AndBuiltinKeyIs409(t *testing.T) {
	w := newWorld(t)
	path := "/v1/partners/" + w.PartnerID + "/roles"
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	for _, rank := range []int{85, 80} {
		p := wantProblem(t, w.Do(t, admin, http.MethodPost, path, api.RoleCreate{Key: "boss", Name: "Boss", Rank: rank, Permissions: []string{}}),
			http.StatusForbidden, api.CodeRoleAboveCeiling)
		if p.CeilingRank != 79 || p.ActorRole != api.RoleAdmin || !hasField(p, "rank") {
			t.Fatalf("rank %d: %+v, want ceiling_rank 79, actor_role admin and the field rank", rank, p)
		}
	}
	wantStatus(t, w.Do(t, admin, http.MethodPost, path, api.RoleCreate{Key: "clerk", Name: "Clerk", Rank: 79, Permissions: []string{}}), http.StatusCreated)
	wantProblem(t, w.Do(t, admin, http.MethodPatch, path+"/clerk", api.RoleUpdate{Rank: ptr(90)}), http.StatusForbidden, api.CodeRoleAboveCeiling)
	// Out of range is still a field rule.
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, path, api.RoleCreate{Key: "boss", Name: "Boss", Rank: 100, Permissions: []string{}}),
		http.StatusUnprocessableEntity, api.CodeValidationFailed)
	for _, key := range []string{api.RoleManager, api.RoleOwner, "clerk"} {
		wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, path, api.RoleCreate{Key: key, Name: "Mine", Rank: 10, Permissions: []string{}}),
			http.StatusConflict, api.CodeRoleExists)
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "someone@acme.test")
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPut, "/v1/me", "GET, HEAD"},
		{http.MethodDelete, "/v1/partners", "GET, HEAD, POST"},
		{http.MethodPost, w.usersPath(w.PartnerID) + "/" + u.ID, "GET, HEAD, PATCH, DELETE"},
		{http.MethodGet, w.usersPath(w.PartnerID) + "/" + u.ID + "/restore", "POST"},
	} {
		res := w.Do(t, w.OwnerToken, c.method, c.path, nil)
		wantProblem(t, res, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed)
		if got := res.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPut, "/v1/nothing-here", nil), http.StatusNotFound, api.CodeNotFound)
}

func TestRateLimitHeadersOnEveryAuthenticatedAnswer(t *testing.T) {
	env := portaltest.Start(t, portaltest.Options{RateLimit: 1000, RateBurst: 1000})
	w := &world{Env: env, t: t}
	_, otherOwner := w.partner("Globex", "boss@globex.test")
	users := w.usersPath(env.PartnerID)
	for _, c := range []struct {
		token, method, path string
		body                any
		hdr                 []string
		status              int
	}{
		{env.OwnerToken, http.MethodGet, "/v1/me", nil, nil, http.StatusOK},
		{env.OwnerToken, http.MethodGet, "/v1/nothing-here", nil, nil, http.StatusNotFound},
		{env.OwnerToken, http.MethodPut, "/v1/me", nil, nil, http.StatusMethodNotAllowed},
		{otherOwner, http.MethodGet, users, nil, nil, http.StatusNotFound},
		{env.OwnerToken, http.MethodPost, users, `{"email":`, nil, http.StatusBadRequest},
		{env.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "nope"}, nil, http.StatusUnprocessableEntity},
		{env.OwnerToken, http.MethodPatch, users + "/" + env.OwnerID, api.UserUpdate{}, []string{"If-Match", "garbage"}, http.StatusBadRequest},
		{env.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "owner@acme.test"}, nil, http.StatusConflict},
	} {
		res := env.Do(t, c.token, c.method, c.path, c.body, c.hdr...)
		if res.Status != c.status || res.Header.Get("RateLimit-Limit") != "1000" || res.Header.Get("RateLimit-Remaining") == "" {
			t.Errorf("%s %s: %d with RateLimit-Limit %q, Remaining %q; want %d with both", c.method, c.path, res.Status,
				res.Header.Get("RateLimit-Limit"), res.Header.Get("RateLimit-Remaining"), c.status)
		}
	}
}

func TestOperatorMeHasNoRole(t *testing.T) {
	w := newWorld(t)
	res := w.Do(t, w.OperatorToken, http.MethodGet, "/v1/me", nil)
	var me api.Me
	res.Decode(t, &me)
	if me.Kind != api.KindOperator || me.Role != "" || strings.Contains(string(res.Body), `"role"`) || me.Rank != api.RankOperator || me.CeilingRole != api.RoleOwner {
		t.Fatalf("operator's me %s: want kind operator, no role, rank 1000, ceiling_role owner", res.Body)
	}
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/me", nil).Decode(t, &me)
	if me.Role != api.RoleOwner {
		t.Fatalf("owner's me has role %q, want owner", me.Role)
	}
}
