package portalserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// world is a portald with the bootstrapped partner Acme, its owner, and
// helpers to add people with a role and a token of their own.
type world struct {
	*portaltest.Env
	t testing.TB
}

func newWorld(t testing.TB) *world {
	return &world{Env: portaltest.Start(t, portaltest.Options{}), t: t}
}

func (w *world) usersPath(partnerID string) string { return "/v1/partners/" + partnerID + "/users" }

// listUsers lists the users of Acme that a query such as "?email=x@acme.test"
// selects (all of them for ""), as its owner.
func (w *world) listUsers(query string) []api.User {
	w.t.Helper()
	var list api.UserList
	w.Do(w.t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+query, nil).Decode(w.t, &list)
	return list.Users
}

// user creates a user of the partner with the given roles, as the operator.
func (w *world) user(partnerID, email string, roles ...string) api.User {
	w.t.Helper()
	if roles == nil {
		roles = []string{}
	}
	res := w.Do(w.t, w.OperatorToken, http.MethodPost, w.usersPath(partnerID), api.UserCreate{Email: email, Roles: roles})
	if res.Status != http.StatusCreated {
		w.t.Fatalf("create user %s: %d %s", email, res.Status, res.Body)
	}
	var u api.User
	res.Decode(w.t, &u)
	return u
}

// tokenFor mints an API token for a user, as the operator.
func (w *world) tokenFor(partnerID, userID string) string {
	w.t.Helper()
	res := w.Do(w.t, w.OperatorToken, http.MethodPost, "/v1/partners/"+partnerID+"/tokens", api.TokenCreate{UserID: userID, Name: "test"})
	if res.Status != http.StatusCreated {
		w.t.Fatalf("create token: %d %s", res.Status, res.Body)
	}
	var tok api.TokenCreated
	res.Decode(w.t, &tok)
	return tok.Token
}

// actor creates a user with one role in Acme and returns its token.
func (w *world) actor(email, role string) (api.User, string) {
	w.t.Helper()
	u := w.user(w.PartnerID, email, role)
	return u, w.tokenFor(w.PartnerID, u.ID)
}

// partner creates another partner with an owner, returning its id and the owner's token.
func (w *world) partner(name, ownerEmail string) (string, string) {
	w.t.Helper()
	res := w.Do(w.t, w.OperatorToken, http.MethodPost, "/v1/partners", api.PartnerCreate{Name: name})
	if res.Status != http.StatusCreated {
		w.t.Fatalf("create partner: %d %s", res.Status, res.Body)
	}
	var p api.Partner
	res.Decode(w.t, &p)
	owner := w.user(p.ID, ownerEmail, api.RoleOwner)
	return p.ID, w.tokenFor(p.ID, owner.ID)
}

// wantProblem checks an answer's status and problem code.
func wantProblem(t testing.TB, res *portaltest.Response, status int, code string) api.Problem {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
	p := res.Problem(t)
	if p.Code != code {
		t.Fatalf("code = %q, want %q: %s", p.Code, code, res.Body)
	}
	if p.RequestID == "" || p.RequestID != res.Header.Get("X-Request-Id") {
		t.Fatalf("problem request_id %q does not match X-Request-Id %q", p.RequestID, res.Header.Get("X-Request-Id"))
	}
	return p
}

func wantStatus(t testing.TB, res *portaltest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
}

func hasField(p api.Problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

// restartable is a portald on a database file of the test's own, which the
// test stops and starts again to see what survives a restart.
type restartable struct {
	*portaltest.Env
	t    *testing.T
	db   string
	srv  *portalserver.Server
	http *httptest.Server
	boot *portalserver.BootstrapResult // the partner Acme and its owner's token
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{Env: &portaltest.Env{}, t: t, db: portaltest.Database(t)}
	r.start()
	boot, err := r.srv.Bootstrap(context.Background(), portalserver.BootstrapOptions{PartnerName: "Acme", OwnerEmail: "owner@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	r.boot = boot
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start() {
	s, err := portalserver.Open(context.Background(), portalserver.Config{DBPath: r.db}) // migrations again: a no-op
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv, r.http = s, httptest.NewServer(portaltest.Conformance(r.t, s.Handler()))
	r.URL = r.http.URL
}

func (r *restartable) stop() {
	if r.srv == nil {
		return
	}
	r.http.Close()
	if err := r.srv.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.srv = nil
}

// restart stops portald and opens the same database again.
func (r *restartable) restart() {
	r.stop()
	r.start()
}
