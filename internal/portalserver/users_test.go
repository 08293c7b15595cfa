package portalserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestEmailUniqueAcrossPartnersCaseInsensitively(t *testing.T) {
	w := newWorld(t)
	first := w.user(w.PartnerID, "Ana@Example.test", api.RoleMember)
	if first.Email != "Ana@Example.test" || first.Status != api.UserInvited {
		t.Fatalf("created %+v, want email kept as given and status invited", first)
	}

	// Same partner, other case: 409 naming the holder.
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "ana@example.TEST"})
	p := wantProblem(t, res, http.StatusConflict, api.CodeEmailTaken)
	if p.UserID != first.ID || !hasField(p, "email") {
		t.Fatalf("problem %+v, want user_id %s and field email", p, first.ID)
	}

	// Another partner: still taken, but the holder is not revealed.
	other, otherToken := w.partner("Globex", "boss@globex.test")
	res = w.Do(t, otherToken, http.MethodPost, w.usersPath(other), api.UserCreate{Email: "ANA@example.test"})
	p = wantProblem(t, res, http.StatusConflict, api.CodeEmailTaken)
	if p.UserID != "" {
		t.Fatalf("user_id %q leaked to another partner", p.UserID)
	}

	// A new address is fine.
	res = w.Do(t, otherToken, http.MethodPost, w.usersPath(other), api.UserCreate{Email: "bob@example.test"})
	wantStatus(t, res, http.StatusCreated)
}

func TestSoftDeleteKeepsEmailReservedUntilRestore(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "gone@acme.test", api.RoleMember)
	path := w.usersPath(w.PartnerID) + "/" + u.ID
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil), http.StatusNoContent)

	res := w.Do(t, w.OwnerToken, http.MethodGet, path, nil)
	var got api.User
	res.Decode(t, &got)
	if got.Status != api.UserDeleted || got.DeletedAt == nil || strings.Join(got.Roles, ",") != "member" {
		t.Fatalf("after delete: %+v, want status deleted, deleted_at set, roles kept", got)
	}
	// A removed user is not listed unless asked for.
	if list := w.listUsers("?email=gone@acme.test"); len(list) != 0 {
		t.Fatalf("deleted user listed by default: %+v", list)
	}
	if list := w.listUsers("?email=gone@acme.test&include_deleted=true"); len(list) != 1 {
		t.Fatalf("include_deleted listed %d users, want 1", len(list))
	}

	res = w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "GONE@acme.test"})
	p := wantProblem(t, res, http.StatusConflict, api.CodeUserDeleted)
	if p.RestorableUserID != u.ID {
		t.Fatalf("restorable_user_id = %q, want %s", p.RestorableUserID, u.ID)
	}
	// Changing a removed user points at restore.
	res = w.Do(t, w.OwnerToken, http.MethodPatch, path, map[string]any{"first_name": "X"})
	wantProblem(t, res, http.StatusConflict, api.CodeUserDeleted)
	// Deleting again: already gone.
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil), http.StatusNotFound, api.CodeNotFound)

	res = w.Do(t, w.OwnerToken, http.MethodPost, path+"/restore", nil)
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &got)
	if got.Status != api.UserInvited || got.DeletedAt != nil || got.Version <= u.Version {
		t.Fatalf("after restore: %+v", got)
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, path+"/restore", nil), http.StatusConflict, api.CodeUserNotDeleted)
}

func TestRoleCeiling(t *testing.T) {
	w := newWorld(t)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	_, member := w.actor("member@acme.test", api.RoleMember)

	cases := []struct {
		name   string
		token  string
		role   string
		status int
		code   string
	}{
		{"admin grants manager", admin, api.RoleManager, http.StatusCreated, ""},
		{"admin may not grant admin", admin, api.RoleAdmin, http.StatusForbidden, api.CodeRoleAboveCeiling},
		{"admin may not grant owner", admin, api.RoleOwner, http.StatusForbidden, api.CodeRoleAboveCeiling},
		{"manager grants member", manager, api.RoleMember, http.StatusCreated, ""},
		{"manager may not grant manager", manager, api.RoleManager, http.StatusForbidden, api.CodeRoleAboveCeiling},
		{"owner grants owner", w.OwnerToken, api.RoleOwner, http.StatusCreated, ""},
		{"member manages no users", member, api.RoleReadOnly, http.StatusForbidden, api.CodeForbidden},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			email := "new" + letter(i) + "@acme.test"
			res := w.Do(t, c.token, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: email, Roles: []string{api.RoleReadOnly, c.role}})
			if c.code == "" {
				wantStatus(t, res, c.status)
				return
			}
			p := wantProblem(t, res, c.status, c.code)
			if c.code == api.CodeRoleAboveCeiling && (!hasField(p, "roles[1]") || p.CeilingRank == 0 || p.ActorRole == "") {
				t.Fatalf("ceiling problem lacks the field path, ceiling or actor role: %+v", p)
			}
		})
	}
}

// itoa names the i-th test object: "a", "b", ... (i < 26).
// letter names the i-th of up to 26 test users: a, b, c...
func letter(i int) string { return "abcdefghijklmnopqrstuvwxyz"[i : i+1] }

func TestActorChangesOnlyAccountsBelowItself(t *testing.T) {
	w := newWorld(t)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	peer := w.user(w.PartnerID, "peer@acme.test", api.RoleAdmin)
	below := w.user(w.PartnerID, "below@acme.test", api.RoleMember)

	res := w.Do(t, admin, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+peer.ID, map[string]any{"first_name": "P"})
	wantProblem(t, res, http.StatusForbidden, api.CodeInsufficientRank)
	res = w.Do(t, admin, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+peer.ID, nil)
	wantProblem(t, res, http.StatusForbidden, api.CodeInsufficientRank)

	// Lowering a member to read_only is allowed.
	res = w.Do(t, admin, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+below.ID, map[string]any{"roles": []string{api.RoleReadOnly}})
	wantStatus(t, res, http.StatusOK)
	var got api.User
	res.Decode(t, &got)
	if strings.Join(got.Roles, ",") != api.RoleReadOnly {
		t.Fatalf("roles = %v, want [read_only]", got.Roles)
	}
}

func TestLastOwnerCannotBeRemovedOrDemoted(t *testing.T) {
	w := newWorld(t)
	ownerPath := w.usersPath(w.PartnerID) + "/" + w.OwnerID
	res := w.Do(t, w.OperatorToken, http.MethodPatch, ownerPath, map[string]any{"roles": []string{api.RoleAdmin}})
	wantProblem(t, res, http.StatusConflict, api.CodeLastOwner)
	res = w.Do(t, w.OperatorToken, http.MethodDelete, ownerPath, nil)
	wantProblem(t, res, http.StatusConflict, api.CodeLastOwner)
	res = w.Do(t, w.OperatorToken, http.MethodDelete, ownerPath+"/roles/owner", nil)
	wantProblem(t, res, http.StatusConflict, api.CodeLastOwner)

	// With a second owner, the first may step down.
	w.user(w.PartnerID, "second@acme.test", api.RoleOwner)
	res = w.Do(t, w.OperatorToken, http.MethodPatch, ownerPath, map[string]any{"roles": []string{api.RoleAdmin}})
	wantStatus(t, res, http.StatusOK)
}

func TestUserAdminMinRole(t *testing.T) {
	w := newWorld(t)
	_, manager := w.actor("manager@acme.test", api.RoleManager)
	create := func() int {
		return w.Do(t, manager, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "x" + time.Now().Format("150405.000000") + "@acme.test"}).Status
	}
	if got := create(); got != http.StatusCreated {
		t.Fatalf("manager create with the default setting: %d, want 201", got)
	}
	res := w.Do(t, w.OwnerToken, http.MethodPatch, "/v1/partners/"+w.PartnerID, api.PartnerUpdate{Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleOwner}})
	wantStatus(t, res, http.StatusOK)
	res = w.Do(t, manager, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "y@acme.test"})
	p := wantProblem(t, res, http.StatusForbidden, api.CodeForbidden)
	if !strings.Contains(p.Detail, "user_admin_min_role") {
		t.Fatalf("detail %q does not name the setting", p.Detail)
	}
}

func TestTenantIsolation(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "private@acme.test", api.RoleMember)
	other, otherToken := w.partner("Globex", "boss@globex.test")

	for _, path := range []string{
		"/v1/partners/" + w.PartnerID,
		w.usersPath(w.PartnerID),
		w.usersPath(w.PartnerID) + "/" + u.ID,
		w.usersPath(other) + "/" + u.ID, // Acme's user under Globex's path
		"/v1/partners/" + w.PartnerID + "/roles",
		"/v1/partners/" + w.PartnerID + "/invites",
		"/v1/partners/" + w.PartnerID + "/audit-events",
		"/v1/partners/prt_does_not_exist",
	} {
		wantProblem(t, w.Do(t, otherToken, http.MethodGet, path, nil), http.StatusNotFound, api.CodeNotFound)
	}
	res := w.Do(t, otherToken, http.MethodPatch, w.usersPath(w.PartnerID)+"/"+u.ID, map[string]any{"first_name": "pwned"})
	wantProblem(t, res, http.StatusNotFound, api.CodeNotFound)

	var partners api.PartnerList
	w.Do(t, otherToken, http.MethodGet, "/v1/partners", nil).Decode(t, &partners)
	if len(partners.Partners) != 1 || partners.Partners[0].ID != other {
		t.Fatalf("partner token lists %+v, want only its own partner", partners.Partners)
	}
	w.Do(t, w.OperatorToken, http.MethodGet, "/v1/partners", nil).Decode(t, &partners)
	if len(partners.Partners) != 2 {
		t.Fatalf("operator lists %d partners, want 2", len(partners.Partners))
	}
	wantStatus(t, w.Do(t, w.OperatorToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID, nil), http.StatusOK)
}

func TestPhoneMustBeE164(t *testing.T) {
	w := newWorld(t)
	for _, bad := range []string{"5551234", "+0123456789", "+1 415 555 0123", "+1234567890123456"} {
		res := w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "p@acme.test", Phone: bad})
		if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
			t.Fatalf("phone %q: status %d, want 422 or 400", bad, res.Status)
		}
		if p := res.Problem(t); !hasField(p, "phone") {
			t.Fatalf("phone %q: problem does not name the field: %+v", bad, p)
		}
	}
	res := w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "p@acme.test", Phone: "+14155550123"})
	wantStatus(t, res, http.StatusCreated)
}

func TestBadInputNamesTheFieldAndWritesNothing(t *testing.T) {
	w := newWorld(t)
	path := w.usersPath(w.PartnerID)
	cases := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   string
		field  string
	}{
		{"malformed JSON", `{"email": `, nil, 400, api.CodeInvalidRequest, ""},
		{"unknown field", `{"email":"a@acme.test","admin":true}`, nil, 400, api.CodeInvalidRequest, "admin"},
		{"wrong type", `{"email":"a@acme.test","roles":"owner"}`, nil, 400, api.CodeInvalidRequest, "roles"},
		{"trailing data", `{"email":"a@acme.test"} {}`, nil, 400, api.CodeInvalidRequest, ""},
		{"not JSON", `email=a@acme.test`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, api.CodeUnsupportedMedia, ""},
		{"oversized", `{"email":"a@acme.test","first_name":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 413, api.CodeBodyTooLarge, ""},
		{"invalid email", api.UserCreate{Email: "not-an-email"}, nil, 422, api.CodeValidationFailed, "email"},
		{"unknown role", api.UserCreate{Email: "a@acme.test", Roles: []string{"member", "wizard"}}, nil, 422, api.CodeValidationFailed, "roles[1]"},
		{"expiry in the past", api.UserCreate{Email: "a@acme.test", AccessExpiresAt: ptr(time.Now().Add(-time.Hour))}, nil, 422, api.CodeValidationFailed, "access_expires_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, path, c.body, c.hdr...), c.status, c.code)
			if c.field != "" && !hasField(p, c.field) {
				t.Fatalf("problem does not name field %q: %+v", c.field, p)
			}
		})
	}
	if list := w.listUsers(""); len(list) != 1 {
		t.Fatalf("%d users after refused requests, want only the owner", len(list))
	}
}

func ptr[T any](v T) *T { return &v }

func TestIfMatch(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "etag@acme.test", api.RoleMember)
	path := w.usersPath(w.PartnerID) + "/" + u.ID
	res := w.Do(t, w.OwnerToken, http.MethodGet, path, nil)
	if res.Header.Get("ETag") != `"1"` {
		t.Fatalf("ETag = %q, want \"1\"", res.Header.Get("ETag"))
	}
	res = w.Do(t, w.OwnerToken, http.MethodPatch, path, map[string]any{"first_name": "A"}, "If-Match", `"1"`)
	wantStatus(t, res, http.StatusOK)
	if res.Header.Get("ETag") != `"2"` {
		t.Fatalf("ETag after update = %q, want \"2\"", res.Header.Get("ETag"))
	}
	// The second writer still holds version 1: refused, nothing overwritten.
	res = w.Do(t, w.OwnerToken, http.MethodPatch, path, map[string]any{"first_name": "B"}, "If-Match", `"1"`)
	wantProblem(t, res, http.StatusPreconditionFailed, api.CodePreconditionFailed)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil, "If-Match", `"1"`), http.StatusPreconditionFailed, api.CodePreconditionFailed)
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, path, nil).Decode(t, &got)
	if got.FirstName != "A" {
		t.Fatalf("first_name = %q, want A", got.FirstName)
	}
}

func TestIdempotencyKey(t *testing.T) {
	w := newWorld(t)
	path := w.usersPath(w.PartnerID)
	body := api.UserCreate{Email: "once@acme.test", Roles: []string{api.RoleMember}}
	first := w.Do(t, w.OwnerToken, http.MethodPost, path, body, "Idempotency-Key", "k1")
	wantStatus(t, first, http.StatusCreated)
	again := w.Do(t, w.OwnerToken, http.MethodPost, path, body, "Idempotency-Key", "k1")
	wantStatus(t, again, http.StatusCreated)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Fatalf("replay differs:\nfirst %s\nagain %s (replayed=%q)", first.Body, again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	other := w.Do(t, w.OwnerToken, http.MethodPost, path, api.UserCreate{Email: "twice@acme.test"}, "Idempotency-Key", "k1")
	wantProblem(t, other, http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)

	if list := w.listUsers("?email=once@acme.test"); len(list) != 1 {
		t.Fatalf("%d users with the email, want exactly 1", len(list))
	}
}

func TestAuditEventForEveryChange(t *testing.T) {
	w := newWorld(t)
	u := w.user(w.PartnerID, "audited@acme.test", api.RoleMember)
	path := w.usersPath(w.PartnerID) + "/" + u.ID
	res := w.Do(t, w.OwnerToken, http.MethodPatch, path, map[string]any{"roles": []string{api.RoleManager}}, "X-Request-Id", "change-roles-1")
	wantStatus(t, res, http.StatusOK)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, path, nil), http.StatusNoContent)

	var events api.AuditEventList
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?user_id="+u.ID, nil).Decode(t, &events)
	var actions []string
	for _, e := range events.Events {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "user.deleted,user.updated,user.created" {
		t.Fatalf("actions = %v, want newest first: deleted, updated, created", actions)
	}
	upd := events.Events[1]
	if upd.RequestID != "change-roles-1" || upd.Actor.ID != w.OwnerID || upd.Actor.Email != "owner@acme.test" {
		t.Fatalf("update event %+v lacks the request id or actor", upd)
	}
	if before, after := firstOf(upd.Before["roles"]), firstOf(upd.After["roles"]); before != "member" || after != "manager" {
		t.Fatalf("before/after roles = %v / %v", upd.Before["roles"], upd.After["roles"])
	}
	// Filters: by action and by actor.
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?action=user.updated&actor=OWNER@acme.test", nil).Decode(t, &events)
	if len(events.Events) != 1 || events.Events[0].Action != "user.updated" {
		t.Fatalf("filtered events = %+v", events.Events)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/partners/"+w.PartnerID+"/audit-events?since="+future, nil).Decode(t, &events)
	if len(events.Events) != 0 {
		t.Fatalf("events since the future: %d", len(events.Events))
	}
}

func TestListFiltersAndPagination(t *testing.T) {
	w := newWorld(t)
	for i := range 7 {
		domain := "acme.test"
		if i%2 == 1 {
			domain = "contractor.test"
		}
		w.user(w.PartnerID, "u"+letter(i)+"@"+domain, api.RoleMember)
	}
	if list := w.listUsers("?email_domain=contractor.test"); len(list) != 3 {
		t.Fatalf("email_domain filter: %d users, want 3", len(list))
	}
	if list := w.listUsers("?role=owner"); len(list) != 1 || list[0].ID != w.OwnerID {
		t.Fatalf("role filter: %+v", list)
	}
	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var page api.UserList
		w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?status=invited&page_size=3&page_token="+token, nil).Decode(t, &page)
		for _, u := range page.Users {
			if seen[u.ID] {
				t.Fatalf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != 8 {
		t.Fatalf("paged through %d users, want 8", len(seen))
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?page_token=garbage", nil), http.StatusBadRequest, api.CodeInvalidRequest)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?page_size=501", nil), http.StatusBadRequest, api.CodeInvalidRequest)
}

// firstOf returns the first element of a decoded JSON list, or nil.
func firstOf(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l[0]
	}
	return nil
}

// TestInactiveForFilter: inactive_for lists the users with no activity for
// that long by the portal's clock: last active before it, or never active
// and created before it.
func TestInactiveForFilter(t *testing.T) {
	w := newWorld(t)
	w.user(w.PartnerID, "never@acme.test", api.RoleMember)
	_, oldToken := w.actor("old@acme.test", api.RoleReadOnly)
	w.Do(t, oldToken, http.MethodGet, "/v1/me", nil) // active now, then not for 31 days
	_, busyToken := w.actor("busy@acme.test", api.RoleReadOnly)
	if res := w.Do(t, w.OperatorToken, http.MethodPost, "/v1/dev/clock/advance", api.ClockAdvance{Seconds: 31 * 24 * 3600}); res.Status != http.StatusOK {
		t.Fatalf("advance the clock: %d %s", res.Status, res.Body)
	}
	w.user(w.PartnerID, "new@acme.test", api.RoleMember)
	w.Do(t, busyToken, http.MethodGet, "/v1/me", nil)

	var got []string
	for _, u := range w.listUsers("?inactive_for=2592000") {
		got = append(got, u.Email)
	}
	slices.Sort(got)
	if want := []string{"never@acme.test", "old@acme.test"}; !slices.Equal(got, want) {
		t.Errorf("inactive for 30 days: %v, want %v (the owner listing now, busy and new are active or recent)", got, want)
	}
	for _, bad := range []string{"0", "-5", "30d", "1.5"} {
		if res := w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"?inactive_for="+bad, nil); res.Status != http.StatusBadRequest {
			t.Errorf("inactive_for=%s: %d, want 400", bad, res.Status)
		}
	}
}
