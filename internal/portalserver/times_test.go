package portalserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

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
	var list api.UserList
	w.Do(t, w.OwnerToken, http.MethodGet, path+"?email=nano@acme.test", nil).Decode(t, &list)
	if len(list.Users) != 0 {
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
