package portalserver_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// wantReplay checks that an answer is the replay of first: same status and
// body apart from the request id, which is the replay's own, and the
// Idempotent-Replayed header.
func wantReplay(t *testing.T, first, again []byte, status int, res interface{ Get(string) string }) {
	t.Helper()
	if res.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("no Idempotent-Replayed: true on the retry")
	}
	strip := func(b []byte) string {
		s := string(b)
		if i := strings.Index(s, `"request_id":"`); i >= 0 {
			j := strings.Index(s[i+len(`"request_id":"`):], `"`)
			s = s[:i] + s[i+len(`"request_id":"`)+j+1:]
		}
		return s
	}
	if strip(first) != strip(again) {
		t.Fatalf("the retry (%d) is not the first answer again:\nfirst %s\nagain %s", status, first, again)
	}
}

func TestIdempotencyReplaysAnErrorAnswer(t *testing.T) {
	w := newWorld(t)
	users := w.usersPath(w.PartnerID)
	holder := w.user(w.PartnerID, "taken@acme.test")
	body := api.UserCreate{Email: "taken@acme.test"}
	first := w.Do(t, w.OwnerToken, http.MethodPost, users, body, "Idempotency-Key", "conflict-1")
	wantProblem(t, first, http.StatusConflict, api.CodeEmailTaken)
	// The email is free now: running the request again would create a user.
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPatch, users+"/"+holder.ID, api.UserUpdate{Email: ptr("moved@acme.test")}), http.StatusOK)
	again := w.Do(t, w.OwnerToken, http.MethodPost, users, body, "Idempotency-Key", "conflict-1")
	wantProblem(t, again, http.StatusConflict, api.CodeEmailTaken) // request_id is the retry's own
	wantReplay(t, first.Body, again.Body, again.Status, again.Header)

	if list := w.listUsers("?email=taken@acme.test"); len(list) != 0 {
		t.Fatalf("the retry made a user: %+v", list)
	}

	// A validation failure is an answer too: the same key with a corrected
	// body is another request.
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "nope"}, "Idempotency-Key", "invalid-1"),
		http.StatusUnprocessableEntity, api.CodeValidationFailed)
	again = w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "nope"}, "Idempotency-Key", "invalid-1")
	wantProblem(t, again, http.StatusUnprocessableEntity, api.CodeValidationFailed)
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry of a 422 was not replayed")
	}
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "fixed@acme.test"}, "Idempotency-Key", "invalid-1"),
		http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)
}

func TestIdempotencyKeyIsBoundToTokenMethodAndPath(t *testing.T) {
	w := newWorld(t)
	a := w.invitesPath() + "/" + w.invite(api.InviteCreate{Email: "a@acme.test"}).ID
	b := w.invitesPath() + "/" + w.invite(api.InviteCreate{Email: "b@acme.test"}).ID
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, a+"/revoke", nil, "Idempotency-Key", "k"), http.StatusOK)
	// The same key and (empty) body on another path is another request.
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, b+"/revoke", nil, "Idempotency-Key", "k"),
		http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)
	// Keys are the token's own: another token's "k" is a new request.
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	res := w.Do(t, admin, http.MethodPost, b+"/revoke", nil, "Idempotency-Key", "k")
	wantStatus(t, res, http.StatusOK)
	if res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("another token's request was answered with a replay")
	}
}

func TestIdempotencyKeyIsKept24Hours(t *testing.T) {
	w := newWorld(t)
	users := w.usersPath(w.PartnerID)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day1@acme.test"}, "Idempotency-Key", "daily"), http.StatusCreated)
	w.advance(23 * time.Hour)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day2@acme.test"}, "Idempotency-Key", "daily"),
		http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)
	w.advance(time.Hour + time.Second)
	res := w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day2@acme.test"}, "Idempotency-Key", "daily")
	wantStatus(t, res, http.StatusCreated)
	if res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a key older than 24 hours was replayed")
	}
	again := w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day2@acme.test"}, "Idempotency-Key", "daily")
	wantStatus(t, again, http.StatusCreated)
	wantReplay(t, res.Body, again.Body, again.Status, again.Header)

	// Expired keys are deleted, not only ignored.
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day3@acme.test"}, "Idempotency-Key", "k3"), http.StatusCreated)
	w.advance(25 * time.Hour)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "day4@acme.test"}, "Idempotency-Key", "k4"), http.StatusCreated)
	db := portaltest.OpenDB(t, w.DBPath)
	var keys []string
	rows, err := db.QueryContext(t.Context(), `SELECT key FROM idempotency ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"k4"}) {
		t.Fatalf("kept keys %v, want only k4", keys)
	}
}

func TestConcurrentDuplicatesMakeOneChange(t *testing.T) {
	w := newWorld(t)
	users := w.usersPath(w.PartnerID)
	body := api.UserCreate{Email: "racer@acme.test", Roles: []string{api.RoleMember}}
	const n = 8
	bodies, replayed := make([]string, n), make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := w.Do(t, w.OwnerToken, http.MethodPost, users, body, "Idempotency-Key", "race")
			if res.Status != http.StatusCreated {
				t.Errorf("duplicate %d: %d %s", i, res.Status, res.Body)
			}
			bodies[i], replayed[i] = string(res.Body), res.Header.Get("Idempotent-Replayed") == "true"
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if !replayed[i] {
			fresh++
		}
		if bodies[i] != bodies[0] {
			t.Errorf("duplicate %d answered %s, duplicate 0 %s", i, bodies[i], bodies[0])
		}
	}
	if fresh != 1 {
		t.Errorf("%d answers were not replays, want exactly 1", fresh)
	}
	if list := w.listUsers("?email=racer@acme.test"); len(list) != 1 {
		t.Fatalf("%d users, want 1", len(list))
	}
}

func TestInvalidIdempotencyKeyIs400(t *testing.T) {
	w := newWorld(t)
	for _, key := range []string{strings.Repeat("k", 256), "clé"} {
		p := wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "keyed@acme.test"}, "Idempotency-Key", key),
			http.StatusBadRequest, api.CodeInvalidRequest)
		if !hasField(p, "Idempotency-Key") {
			t.Fatalf("key %q: %+v, want a field error on Idempotency-Key", key, p)
		}
	}
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "keyed@acme.test"},
		"Idempotency-Key", strings.Repeat("k", 255)), http.StatusCreated)
}
