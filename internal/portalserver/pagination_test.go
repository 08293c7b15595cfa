package portalserver_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// What the contract's Pagination section says: one fixed order per list,
// and a page token that is a position, so a walk while others write lists
// every object that exists throughout exactly once.

func TestUserPagesWhileOthersWrite(t *testing.T) {
	w := newWorld(t)
	users := w.usersPath(w.PartnerID)
	var created []api.User
	for i := range 5 {
		created = append(created, w.user(w.PartnerID, "walk"+strconv.Itoa(i)+"@acme.test"))
	}
	seen := map[string]int{}
	var order []string
	token, added, removed := "", "", created[4].ID
	for page := 0; ; page++ {
		var list api.UserList
		w.Do(t, w.OwnerToken, http.MethodGet, users+"?page_size=2&page_token="+token, nil).Decode(t, &list)
		for _, u := range list.Users {
			seen[u.ID]++
			order = append(order, u.ID)
		}
		if page == 0 { // others write while the walk goes on
			added = w.user(w.PartnerID, "late@acme.test").ID
			wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, users+"/"+removed, nil), http.StatusNoContent)
		}
		if token = list.NextPageToken; token == "" {
			break
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i-1] >= order[i] {
			t.Fatalf("users not in ascending id order: %v", order)
		}
	}
	for _, u := range append(created[:4], api.User{ID: w.OwnerID}, api.User{ID: added}) {
		if seen[u.ID] != 1 {
			t.Errorf("user %s listed %d times, want once (walk %v)", u.ID, seen[u.ID], order)
		}
	}
	if seen[removed] != 0 {
		t.Errorf("user %s, removed before its page, was listed", removed)
	}
}

func TestRolesAndAuditEventsOrder(t *testing.T) {
	w := newWorld(t)
	roles := "/v1/partners/" + w.PartnerID + "/roles"
	for _, r := range []api.RoleCreate{{Key: "zeta", Name: "Z", Rank: 30}, {Key: "alpha", Name: "A", Rank: 30}, {Key: "high", Name: "H", Rank: 90}} {
		r.Permissions = []string{}
		wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, roles, r), http.StatusCreated)
	}
	var keys []string
	for token := ""; ; {
		var list api.RoleList
		w.Do(t, w.OwnerToken, http.MethodGet, roles+"?page_size=3&page_token="+token, nil).Decode(t, &list)
		for _, r := range list.Roles {
			keys = append(keys, r.Key)
		}
		if token = list.NextPageToken; token == "" {
			break
		}
	}
	if got, want := strings.Join(keys, " "), "owner high admin manager member alpha zeta read_only"; got != want {
		t.Fatalf("roles in order %q, want %q (rank, highest first, then key)", got, want)
	}

	var events api.AuditEventList
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events", nil).Decode(t, &events)
	var actions []string
	for _, e := range events.Events {
		actions = append(actions, e.Action+" "+e.TargetID)
	}
	if got, want := strings.Join(actions[:3], ", "), "role.created high, role.created alpha, role.created zeta"; got != want {
		t.Fatalf("newest events %q, want %q", got, want)
	}
}

// A removed user: deleting it again is 404 though getUser returns it; a
// change to it is 409 user_deleted naming it for restore.
func TestRemovedUserAnswers(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "gone@acme.test", api.RoleMember)
	path := w.usersPath(w.PartnerID) + "/" + u.ID
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil), http.StatusNoContent)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil), http.StatusNotFound, api.CodeNotFound)
	var got api.User
	res := w.Do(t, w.OwnerToken, http.MethodGet, path, nil)
	wantStatus(t, res, http.StatusOK)
	if res.Decode(t, &got); got.Status != api.UserDeleted {
		t.Fatalf("status %q, want deleted", got.Status)
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPut, path + "/roles/" + api.RoleReadOnly, nil},
		{http.MethodDelete, path + "/roles/" + api.RoleMember, nil},
		{http.MethodPut, path + "/roles", api.GrantsReplace{Roles: []string{}}},
		{http.MethodPatch, path, api.UserUpdate{FirstName: ptr("G")}},
	} {
		p := wantProblem(t, w.Do(t, w.OwnerToken, c.method, c.path, c.body), http.StatusConflict, api.CodeUserDeleted)
		if p.RestorableUserID != u.ID {
			t.Errorf("%s %s: restorable_user_id %q, want %s", c.method, c.path, p.RestorableUserID, u.ID)
		}
	}
}
