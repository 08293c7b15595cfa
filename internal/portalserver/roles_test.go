package portalserver_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestBuiltinRolesAndMe(t *testing.T) {
	w := newWorld(t)
	var roles api.RoleList
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/roles", nil).Decode(t, &roles)
	var keys []string
	for _, r := range roles.Roles {
		keys = append(keys, r.Key+":"+strconv.Itoa(r.Rank))
	}
	if strings.Join(keys, ",") != "owner:100,admin:80,manager:60,member:40,read_only:20" {
		t.Fatalf("built-in roles = %v", keys)
	}
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	var me api.Me
	w.Do(t, admin, http.MethodGet, "/v1/me", nil).Decode(t, &me)
	if me.Kind != api.KindPartner || me.Role != api.RoleAdmin || me.CeilingRank != api.RankManager || me.CeilingRole != api.RoleManager || me.PartnerID != w.PartnerID {
		t.Fatalf("admin's me = %+v", me)
	}
}

func TestCustomRoles(t *testing.T) {
	w := newWorld(t)
	path := "/v1/partners/" + w.PartnerID + "/roles"
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)

	cases := []struct {
		name  string
		in    api.RoleCreate
		field string
	}{
		{"edit without view", api.RoleCreate{Key: "editor", Name: "Editor", Rank: 30, Permissions: []string{api.PermDataWrite}}, "permissions"},
		{"rank out of range", api.RoleCreate{Key: "boss", Name: "Boss", Rank: 0, Permissions: []string{}}, "rank"},
		{"unknown permission", api.RoleCreate{Key: "odd", Name: "Odd", Rank: 10, Permissions: []string{"rockets.launch"}}, "permissions"},
		{"permission the creator lacks", api.RoleCreate{Key: "tok", Name: "Tok", Rank: 10, Permissions: []string{api.PermTokensManage}}, "permissions[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := wantProblem(t, w.Do(t, admin, http.MethodPost, path, c.in), http.StatusUnprocessableEntity, api.CodeValidationFailed)
			if !hasField(p, c.field) {
				t.Fatalf("problem does not name %q: %+v", c.field, p)
			}
		})
	}

	res := w.Do(t, admin, http.MethodPost, path, api.RoleCreate{Key: "billing", Name: "Billing", Rank: 30, Permissions: []string{api.PermDataWrite, api.PermDataRead}})
	wantStatus(t, res, http.StatusCreated)
	wantProblem(t, w.Do(t, admin, http.MethodPost, path, api.RoleCreate{Key: "billing", Name: "B", Rank: 30, Permissions: []string{}}), http.StatusConflict, api.CodeRoleExists)

	// The custom role can be granted, and then cannot be deleted.
	u := w.user(w.PartnerID, "payer@acme.test", "billing")
	wantProblem(t, w.Do(t, admin, http.MethodDelete, path+"/billing", nil), http.StatusConflict, api.CodeRoleInUse)
	wantStatus(t, w.Do(t, admin, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+u.ID+"/roles/billing", nil), http.StatusNoContent)

	res = w.Do(t, admin, http.MethodPatch, path+"/billing", api.RoleUpdate{Rank: ptr(35)}, "If-Match", `"1"`)
	wantStatus(t, res, http.StatusOK)
	var ro api.Role
	res.Decode(t, &ro)
	if ro.Rank != 35 || ro.Version != 2 {
		t.Fatalf("after update %+v", ro)
	}
	wantProblem(t, w.Do(t, admin, http.MethodPatch, path+"/owner", api.RoleUpdate{Rank: ptr(5)}), http.StatusForbidden, api.CodeForbidden)
	// A removed user's grant does not hold the role in use, and goes with it.
	gone := w.user(w.PartnerID, "gone@acme.test", "billing")
	wantStatus(t, w.Do(t, admin, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+gone.ID, nil), http.StatusNoContent)
	wantStatus(t, w.Do(t, admin, http.MethodDelete, path+"/billing", nil), http.StatusNoContent)
	wantProblem(t, w.Do(t, admin, http.MethodGet, path+"/billing", nil), http.StatusNotFound, api.CodeNotFound)
	var restored api.User
	w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID)+"/"+gone.ID+"/restore", nil).Decode(t, &restored)
	if len(restored.Roles) != 0 {
		t.Fatalf("restored user still holds the deleted role: %v", restored.Roles)
	}
}

func TestGrants(t *testing.T) {
	w := newWorld(t)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	u := w.user(w.PartnerID, "g@acme.test", api.RoleReadOnly)
	path := w.usersPath(w.PartnerID) + "/" + u.ID + "/roles"

	res := w.Do(t, admin, http.MethodPut, path+"/member", nil)
	wantStatus(t, res, http.StatusCreated)
	var g api.Grant
	res.Decode(t, &g)
	if g.Role != api.RoleMember || g.GrantedBy == "" || g.UserID != u.ID {
		t.Fatalf("grant %+v", g)
	}
	wantStatus(t, w.Do(t, admin, http.MethodPut, path+"/member", nil), http.StatusOK) // already held
	wantProblem(t, w.Do(t, admin, http.MethodPut, path+"/admin", nil), http.StatusForbidden, api.CodeRoleAboveCeiling)
	wantProblem(t, w.Do(t, admin, http.MethodPut, path+"/wizard", nil), http.StatusNotFound, api.CodeNotFound)

	var list api.GrantList
	w.Do(t, admin, http.MethodGet, path, nil).Decode(t, &list)
	if len(list.Grants) != 2 {
		t.Fatalf("grants %+v, want read_only and member", list.Grants)
	}
	wantStatus(t, w.Do(t, admin, http.MethodDelete, path+"/read_only", nil), http.StatusNoContent)
	wantProblem(t, w.Do(t, admin, http.MethodDelete, path+"/read_only", nil), http.StatusNotFound, api.CodeNotFound)

	res = w.Do(t, admin, http.MethodPut, path, api.GrantsReplace{Roles: []string{api.RoleManager}})
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &list)
	if len(list.Grants) != 1 || list.Grants[0].Role != api.RoleManager {
		t.Fatalf("after replace %+v", list.Grants)
	}
	var got api.User
	w.Do(t, admin, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID, nil).Decode(t, &got)
	if res.Header.Get("ETag") != etagOf(got.Version) {
		t.Fatalf("replace ETag %s, user version %d", res.Header.Get("ETag"), got.Version)
	}
	wantProblem(t, w.Do(t, admin, http.MethodPut, path, api.GrantsReplace{Roles: []string{}}, "If-Match", `"1"`), http.StatusPreconditionFailed, api.CodePreconditionFailed)
}

func etagOf(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }
