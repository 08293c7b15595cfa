package portalserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The role rules as the contract states them (info: "Roles and the role
// ceiling", "Order of checks"), one test per statement.

// me reads GET /v1/me for a token.
func (w *world) me(token string) api.Me {
	w.t.Helper()
	var me api.Me
	res := w.Do(w.t, token, http.MethodGet, "/v1/me", nil)
	wantStatus(w.t, res, http.StatusOK)
	res.Decode(w.t, &me)
	return me
}

// customActor creates a custom role of Acme (as the owner) and a user who
// holds only it, returning the user's token.
func (w *world) customActor(key string, rank int, perms ...string) string {
	w.t.Helper()
	res := w.Do(w.t, w.OwnerToken, http.MethodPost, "/v1/partners/"+w.PartnerID+"/roles",
		api.RoleCreate{Key: key, Name: key, Rank: rank, Permissions: perms})
	wantStatus(w.t, res, http.StatusCreated)
	_, token := w.actor(key+"@acme.test", key)
	return token
}

func TestCustomRoleCeilingGoesByRank(t *testing.T) {
	w := newWorld(t)
	manage := []string{api.PermUsersRead, api.PermUsersManage}
	for _, c := range []struct {
		key         string
		rank        int
		perms       []string
		ceiling     int
		ceilingRole string
	}{
		{"lead", 70, manage, api.RankMember, api.RoleMember},
		{"chief", 85, manage, api.RankManager, api.RoleManager},
		{"helper", 50, manage, 0, ""},
		{"inviter", 70, []string{api.PermInvitesManage}, api.RankMember, api.RoleMember},
		{"clerk", 70, []string{api.PermUsersRead}, 0, ""}, // grants nothing: no users.manage, no invites.manage
	} {
		me := w.me(w.customActor(c.key, c.rank, c.perms...))
		if me.Rank != c.rank || me.CeilingRank != c.ceiling || me.CeilingRole != c.ceilingRole {
			t.Errorf("%s (rank %d, %v): me rank %d, ceiling %d %q; want ceiling %d %q",
				c.key, c.rank, c.perms, me.Rank, me.CeilingRank, me.CeilingRole, c.ceiling, c.ceilingRole)
		}
	}
	// What /v1/me says is what the server does: rank 70 grants member, not manager.
	lead := w.tokenFor(w.PartnerID, w.user(w.PartnerID, "lead2@acme.test", "lead").ID)
	users := w.usersPath(w.PartnerID)
	wantStatus(t, w.Do(t, lead, http.MethodPost, users, api.UserCreate{Email: "m@acme.test", Roles: []string{api.RoleMember}}), http.StatusCreated)
	p := wantProblem(t, w.Do(t, lead, http.MethodPost, users, api.UserCreate{Email: "x@acme.test", Roles: []string{api.RoleManager}}),
		http.StatusForbidden, api.CodeRoleAboveCeiling)
	if p.CeilingRank != api.RankMember || p.ActorRole != "lead" {
		t.Fatalf("role_above_ceiling %+v, want ceiling_rank 40 and actor_role lead", p)
	}
}

func TestUserAdminMinRoleShowsInMeAndGatesUsersAndInvites(t *testing.T) {
	w := newWorld(t)
	partner := "/v1/partners/" + w.PartnerID
	users := w.usersPath(w.PartnerID)
	member := w.user(w.PartnerID, "member@acme.test", api.RoleMember)
	removed := w.user(w.PartnerID, "removed@acme.test", api.RoleMember)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, users+"/"+removed.ID, nil), http.StatusNoContent)
	var inv api.Invite
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.invitesPath(), api.InviteCreate{Email: "pending@acme.test", Roles: []string{api.RoleMember}})
	wantStatus(t, res, http.StatusCreated)
	res.Decode(t, &inv)
	invite := w.invitesPath() + "/" + inv.ID
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	setting := func(role string) {
		t.Helper()
		wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, partner, api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: role}}), http.StatusOK)
	}

	setting(api.RoleOwner)
	me := w.me(admin)
	withheld := []string{api.PermInvitesManage, api.PermUsersManage}
	if slices.Contains(me.Permissions, api.PermUsersManage) || slices.Contains(me.Permissions, api.PermInvitesManage) ||
		!slices.Equal(me.WithheldPermissions, withheld) || me.UserAdminMinRole != api.RoleOwner || me.CeilingRank != 0 || me.CeilingRole != "" {
		t.Fatalf("admin's me under user_admin_min_role owner = %+v; want no users.manage or invites.manage, withheld %v, ceiling 0", me, withheld)
	}
	if !slices.Contains(me.Permissions, api.PermRolesManage) || !slices.Contains(me.Permissions, api.PermUsersRead) {
		t.Fatalf("the setting took more than users.manage and invites.manage: %v", me.Permissions)
	}
	// Every change to users, their roles and invites is refused, naming the setting; reads are not.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, users, api.UserCreate{Email: "new@acme.test"}},
		{http.MethodPatch, users + "/" + member.ID, api.UserUpdate{FirstName: ptr("M")}},
		{http.MethodDelete, users + "/" + member.ID, nil},
		{http.MethodPost, users + "/" + removed.ID + "/restore", nil},
		{http.MethodPut, users + "/" + member.ID + "/roles/" + api.RoleReadOnly, nil},
		{http.MethodPut, users + "/" + member.ID + "/roles", api.GrantsReplace{Roles: []string{api.RoleReadOnly}}},
		{http.MethodPost, w.invitesPath(), api.InviteCreate{Email: "inv@acme.test", Roles: []string{api.RoleMember}}},
		{http.MethodPost, w.invitesPath() + "/batch", api.InviteBatchCreate{Invites: []api.InviteCreate{{Email: "inv@acme.test", Roles: []string{api.RoleMember}}}}},
		{http.MethodPatch, invite, api.InviteUpdate{Roles: &[]string{api.RoleReadOnly}}},
		{http.MethodPost, invite + "/resend", nil},
		{http.MethodPost, invite + "/revoke", nil},
	} {
		p := wantProblem(t, w.Do(t, admin, c.method, c.path, c.body), http.StatusForbidden, api.CodeForbidden)
		if !strings.Contains(p.Detail, "user_admin_min_role") {
			t.Errorf("%s %s: detail %q does not name user_admin_min_role", c.method, c.path, p.Detail)
		}
	}
	wantStatus(t, w.Do(t, admin, http.MethodGet, users, nil), http.StatusOK)
	wantStatus(t, w.Do(t, admin, http.MethodGet, w.invitesPath(), nil), http.StatusOK)
	// Nor can the admin give the withheld permissions to a custom role.
	p := wantProblem(t, w.Do(t, admin, http.MethodPost, partner+"/roles",
		api.RoleCreate{Key: "hr", Name: "HR", Rank: 30, Permissions: []string{api.PermUsersRead, api.PermUsersManage}}),
		http.StatusUnprocessableEntity, api.CodeValidationFailed)
	if !hasField(p, "permissions[1]") {
		t.Fatalf("%+v, want a field error on permissions[1]", p)
	}
	// The owner is not below the setting.
	if me := w.me(w.OwnerToken); len(me.WithheldPermissions) > 0 || me.CeilingRank != api.RankOwner || me.UserAdminMinRole != api.RoleOwner {
		t.Fatalf("owner's me = %+v", me)
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "new@acme.test"}), http.StatusCreated)

	setting(api.RoleManager)
	if me := w.me(admin); len(me.WithheldPermissions) > 0 || !slices.Contains(me.Permissions, api.PermUsersManage) || me.CeilingRank != api.RankManager {
		t.Fatalf("admin's me under user_admin_min_role manager = %+v", me)
	}
	wantStatus(t, w.Do(t, admin, http.MethodPost, users, api.UserCreate{Email: "new2@acme.test"}), http.StatusCreated)
}

func TestBuiltinRolesCannotBeEdited(t *testing.T) {
	w := newWorld(t)
	roles := "/v1/partners/" + w.PartnerID + "/roles/"
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	for _, c := range []struct {
		token, method, key string
		body               any
	}{
		{admin, http.MethodPatch, api.RoleMember, api.RoleUpdate{Name: ptr("Staff")}},
		{admin, http.MethodPatch, api.RoleMember, api.RoleUpdate{Rank: ptr(90)}}, // built-in first, not role_above_ceiling
		{admin, http.MethodDelete, api.RoleReadOnly, nil},
		{w.OwnerToken, http.MethodPatch, api.RoleOwner, api.RoleUpdate{Name: ptr("Boss")}},
		{w.OwnerToken, http.MethodDelete, api.RoleManager, nil},
	} {
		p := wantProblem(t, w.Do(t, c.token, c.method, roles+c.key, c.body), http.StatusForbidden, api.CodeForbidden)
		if !strings.Contains(p.Detail, "built-in") {
			t.Errorf("%s %s: detail %q does not say it is built-in", c.method, c.key, p.Detail)
		}
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, "/v1/partners/"+w.PartnerID+"/roles",
		api.RoleCreate{Key: api.RoleMember, Name: "Member", Rank: 10, Permissions: []string{}}), http.StatusConflict, api.CodeRoleExists)
}

// Each request breaks two neighbouring checks of the documented order; the
// earlier one answers.
func TestChecksRunInTheDocumentedOrder(t *testing.T) {
	w := newWorld(t)
	users := w.usersPath(w.PartnerID)
	roles := "/v1/partners/" + w.PartnerID + "/roles/"
	globex, _ := w.partner("Globex", "boss@globex.test")
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	_, member := w.actor("member@acme.test", api.RoleMember)
	peer := w.user(w.PartnerID, "peer@acme.test", api.RoleAdmin)
	plain := w.user(w.PartnerID, "plain@acme.test", api.RoleMember)
	gone := w.user(w.PartnerID, "gone@acme.test", api.RoleMember)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, users+"/"+gone.ID, nil), http.StatusNoContent)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, roles[:len(roles)-1],
		api.RoleCreate{Key: "chief", Name: "Chief", Rank: 85, Permissions: []string{}}), http.StatusCreated)
	stale := []string{"If-Match", `"999"`}
	for _, c := range []struct {
		name, token, method, path string
		body                      any
		hdr                       []string
		status                    int
		code                      string
	}{
		{"authentication before tenant", "", http.MethodPost, w.usersPath(globex), api.UserCreate{Email: "x@acme.test"}, nil, http.StatusUnauthorized, api.CodeUnauthenticated},
		{"request syntax before tenant", member, http.MethodPatch, w.usersPath(globex) + "/usr_x", api.UserUpdate{}, []string{"If-Match", "garbage"}, http.StatusBadRequest, api.CodeInvalidRequest},
		{"tenant before permission", member, http.MethodPost, w.usersPath(globex), api.UserCreate{Email: "nope"}, nil, http.StatusNotFound, api.CodeNotFound},
		{"permission before body", member, http.MethodPost, users, api.UserCreate{Email: "nope"}, nil, http.StatusForbidden, api.CodeForbidden},
		{"body before target", admin, http.MethodPatch, users + "/usr_missing", api.UserUpdate{Phone: ptr("+1")}, nil, http.StatusUnprocessableEntity, api.CodeValidationFailed},
		{"target state before rank", manager, http.MethodPatch, users + "/" + gone.ID, api.UserUpdate{FirstName: ptr("G")}, stale, http.StatusConflict, api.CodeUserDeleted},
		{"rank before version", manager, http.MethodPatch, users + "/" + peer.ID, api.UserUpdate{FirstName: ptr("P")}, stale, http.StatusForbidden, api.CodeInsufficientRank},
		{"version before ceiling", admin, http.MethodPatch, users + "/" + plain.ID, api.UserUpdate{Roles: &[]string{api.RoleOwner}}, stale, http.StatusPreconditionFailed, api.CodePreconditionFailed},
		{"ceiling before conflict (update)", admin, http.MethodPatch, users + "/" + plain.ID,
			api.UserUpdate{Email: ptr("owner@acme.test"), Roles: &[]string{api.RoleOwner}}, nil, http.StatusForbidden, api.CodeRoleAboveCeiling},
		{"ceiling before conflict (create)", admin, http.MethodPost, users,
			api.UserCreate{Email: "owner@acme.test", Roles: []string{api.RoleOwner}}, nil, http.StatusForbidden, api.CodeRoleAboveCeiling},
		{"the user's rank before the role key of the path", manager, http.MethodPut, users + "/" + peer.ID + "/roles/wizard", nil, nil, http.StatusForbidden, api.CodeInsufficientRank},
		{"role's rank before the new rank's ceiling", admin, http.MethodPatch, roles + "chief", api.RoleUpdate{Rank: ptr(90)}, nil, http.StatusForbidden, api.CodeInsufficientRank},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, w.Do(t, c.token, c.method, c.path, c.body, c.hdr...), c.status, c.code)
		})
	}
}
