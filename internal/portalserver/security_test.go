package portalserver_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// route is one operation of the contract with its path filled in.
type route struct {
	method, pattern, path string
	mutating              bool
}

// contractRoutes lists every authenticated operation of the OpenAPI
// document, so a route added to the contract is covered here without
// anyone remembering to add it.
func contractRoutes(t *testing.T, ids map[string]string) []route {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var out []route
	for pattern, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public or dev route
			}
			path := pattern
			for name, id := range ids {
				path = strings.ReplaceAll(path, "{"+name+"}", id)
			}
			if strings.Contains(path, "{") {
				t.Fatalf("no id for a parameter of %s", pattern)
			}
			out = append(out, route{method, pattern, path, method != http.MethodGet})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pattern+out[i].method < out[j].pattern+out[j].method })
	if len(out) < 29 { // 37 routes less the public and dev ones
		t.Fatalf("only %d authenticated routes found in the contract", len(out))
	}
	return out
}

// securityWorld is Acme with a member user, a pending invite and a custom
// role to point routes at, a read_only token of Acme, and another partner.
func securityWorld(t *testing.T) (w *world, ids map[string]string, readOnly, otherOwner string) {
	w = newWorld(t)
	member := w.user(w.PartnerID, "member@acme.test", api.RoleMember)
	_, readOnly = w.actor("viewer@acme.test", api.RoleReadOnly)
	inv := w.invite(api.InviteCreate{Email: "invitee@acme.test", Roles: []string{api.RoleMember}})
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, "/v1/partners/"+w.PartnerID+"/roles",
		api.RoleCreate{Key: "helpdesk", Name: "Helpdesk", Rank: 10, Permissions: []string{api.PermUsersRead}}), http.StatusCreated)
	_, otherOwner = w.partner("Globex", "boss@globex.test")
	return w, map[string]string{"partner_id": w.PartnerID, "user_id": member.ID, "invite_id": inv.ID, "role_key": "helpdesk"}, readOnly, otherOwner
}

func TestEveryRouteRequiresAValidToken(t *testing.T) {
	w, ids, _, _ := securityWorld(t)
	for _, r := range contractRoutes(t, ids) {
		for name, token := range map[string]string{"no token": "", "unknown token": "ptk_0000"} {
			res := w.Do(t, token, r.method, r.path, "{}")
			if res.Status != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d, want 401", r.method, r.pattern, name, res.Status)
			}
		}
	}
}

func TestEveryPartnerRouteHidesOtherPartners(t *testing.T) {
	w, ids, _, otherOwner := securityWorld(t)
	checked := 0
	for _, r := range contractRoutes(t, ids) {
		if !strings.Contains(r.pattern, "{partner_id}") {
			continue
		}
		checked++
		// Another partner's owner, on Acme's objects: as if they did not exist.
		res := w.Do(t, otherOwner, r.method, r.path, "{}")
		if res.Status != http.StatusNotFound {
			t.Errorf("%s %s by another partner: %d, want 404: %s", r.method, r.pattern, res.Status, res.Body)
		}
	}
	if checked < 25 {
		t.Fatalf("only %d partner routes checked", checked)
	}
	t.Logf("%d partner routes answered 404 to another partner", checked)
	// Nothing changed: the member still holds exactly member.
	var u api.User
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+ids["user_id"], nil).Decode(t, &u)
	if u.Status == api.UserDeleted || strings.Join(u.Roles, ",") != api.RoleMember {
		t.Fatalf("another partner changed Acme's user: %+v", u)
	}
}

func TestEveryChangeNeedsAPermission(t *testing.T) {
	w, ids, readOnly, _ := securityWorld(t)
	mutating := 0
	defer func() { t.Logf("%d routes that change something refused a read_only token", mutating) }()
	for _, r := range contractRoutes(t, ids) {
		if !r.mutating {
			continue
		}
		mutating++
		// A read_only token holds no *.manage permission: every change is
		// refused before its body is even looked at.
		res := w.Do(t, readOnly, r.method, r.path, "{}")
		if res.Status != http.StatusForbidden {
			t.Errorf("%s %s by read_only: %d, want 403: %s", r.method, r.pattern, res.Status, res.Body)
		}
	}
}

func TestEveryGrantingRouteEnforcesTheCeiling(t *testing.T) {
	w := newWorld(t)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	member := w.user(w.PartnerID, "member@acme.test", api.RoleMember)
	inv := w.invite(api.InviteCreate{Email: "invitee@acme.test", Roles: []string{api.RoleMember}})
	users, invites := w.usersPath(w.PartnerID), w.invitesPath()
	above := []string{api.RoleManager} // a manager grants up to member
	cases := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, users, api.UserCreate{Email: "new@acme.test", Roles: above}},
		{http.MethodPatch, users + "/" + member.ID, api.UserUpdate{Roles: &above}},
		{http.MethodPut, users + "/" + member.ID + "/roles", api.GrantsReplace{Roles: above}},
		{http.MethodPut, users + "/" + member.ID + "/roles/" + api.RoleManager, nil},
		{http.MethodPost, invites, api.InviteCreate{Email: "new@acme.test", Roles: above}},
		{http.MethodPost, invites + "/batch", api.InviteBatchCreate{Invites: []api.InviteCreate{{Email: "new@acme.test", Roles: above}}}},
		{http.MethodPatch, invites + "/" + inv.ID, api.InviteUpdate{Roles: &above}},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			p := wantProblem(t, w.Do(t, manager, c.method, c.path, c.body), http.StatusForbidden, api.CodeRoleAboveCeiling)
			if p.CeilingRank != api.RankMember || p.ActorRole != api.RoleManager {
				t.Fatalf("problem %+v lacks the ceiling and the actor's role", p)
			}
		})
	}
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, users+"/"+member.ID, nil).Decode(t, &got)
	if strings.Join(got.Roles, ",") != api.RoleMember {
		t.Fatalf("a refused grant changed the user: %v", got.Roles)
	}
}
