package client_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// The users batch through the client, against the real portald.

func batchCreates(prefix string, n int) []api.UserBatchOperation {
	ops := make([]api.UserBatchOperation, n)
	for i := range ops {
		ops[i] = api.UserBatchOperation{Op: api.BatchCreate, Create: &api.UserCreate{Email: fmt.Sprintf("%s%03d@acme.test", prefix, i), Roles: []string{api.RoleMember}}}
	}
	return ops
}

// emailCount counts the partner's users by email, removed ones included.
func (f *fixture) emailCount(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, u := range must(f.owner.Users.ListAll(f.ctx, f.pid, api.UserListOptions{IncludeDeleted: true}))(t) {
		out[u.Email]++
	}
	return out
}

func TestServerUsersBatch(t *testing.T) {
	f := start(t)
	u := f.user(t, "someone@acme.test", api.RoleMember)
	gone := f.user(t, "gone@acme.test")
	noErr(t, f.owner.Users.Delete(f.ctx, f.pid, gone.ID, 0))
	res := must(f.owner.Users.Batch(f.ctx, f.pid, []api.UserBatchOperation{
		{Op: api.BatchCreate, Create: &api.UserCreate{Email: "new@acme.test", Phone: "+14155550123", Roles: []string{api.RoleMember}}},
		{Op: api.BatchCreate, Create: &api.UserCreate{Email: "bad@acme.test", Phone: "+1"}},
		{Op: api.BatchUpdate, UserID: u.ID, Version: u.Version, Update: &api.UserUpdate{Roles: &[]string{api.RoleManager}}},
		{Op: api.BatchUpdate, UserID: u.ID, Version: u.Version, Update: &api.UserUpdate{FirstName: ptr("Late")}},
		{Op: api.BatchCreate, Create: &api.UserCreate{Email: "SOMEONE@acme.test"}},
		{Op: api.BatchRestore, UserID: gone.ID},
		{Op: api.BatchDelete, UserID: u.ID, Version: u.Version + 1},
	}))(t).Results
	for i, want := range []int{http.StatusCreated, http.StatusUnprocessableEntity, http.StatusOK, http.StatusPreconditionFailed,
		http.StatusConflict, http.StatusOK, http.StatusNoContent} {
		if res[i].Status != want {
			t.Errorf("results[%d] = %d %+v; want %d", i, res[i].Status, res[i].Problem, want)
		}
	}
	if res[0].User == nil || res[0].User.Email != "new@acme.test" || res[2].User == nil || !slices.Equal(res[2].User.Roles, []string{api.RoleManager}) {
		t.Errorf("results %+v %+v; want the new user and the update's", res[0].User, res[2].User)
	}
	for i, c := range []struct {
		i        int
		sentinel error
		code     string
	}{{1, client.ErrValidation, api.CodeValidationFailed}, {3, client.ErrPreconditionFailed, api.CodePreconditionFailed}, {4, client.ErrConflict, api.CodeEmailTaken}} {
		e := wantAPIError(t, client.BatchItemError(f.pid, res[c.i]), c.sentinel, c.code)
		if i == 0 && !hasField(e, "phone") {
			t.Errorf("the bad phone's error %v does not name phone", e)
		}
		if !strings.Contains(e.Error(), "/users/batch: ") {
			t.Errorf("error %q does not name the batch", e)
		}
	}
	for _, i := range []int{0, 2, 5, 6} {
		noErr(t, client.BatchItemError(f.pid, res[i]))
	}
	if got := must(f.owner.Users.Get(f.ctx, f.pid, u.ID))(t); got.Status != api.UserDeleted || got.FirstName != "" {
		t.Errorf("user %+v; want removed, its stale update not applied", got)
	}

	empty := must(f.owner.Users.Batch(f.ctx, f.pid, nil))(t)
	if empty == nil || len(empty.Results) != 0 {
		t.Errorf("an empty batch answered %+v; want no results", empty)
	}
	if _, err := f.owner.Users.Batch(f.ctx, f.pid, batchCreates("many", api.MaxBatchOperations+1)); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Errorf("a batch of 501 answered %v; want it refused unsent", err)
	}
	if n := f.emailCount(t)["many000@acme.test"]; n != 0 {
		t.Errorf("the refused batch created %d users", n)
	}
}

// dropFirstBatchAnswer passes every request on to the portal, but cuts the
// first answer to a users batch, which the portal has applied: the client
// sees a broken connection.
type dropFirstBatchAnswer struct {
	mu   sync.Mutex
	keys []string // the Idempotency-Key of each batch attempt
}

func (d *dropFirstBatchAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/users/batch") {
		return resp, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = append(d.keys, r.Header.Get("Idempotency-Key"))
	if len(d.keys) == 1 {
		_ = resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, nil
}

func TestServerUsersBatchRetryAfterALostAnswerCreatesNothingTwice(t *testing.T) {
	f := start(t)
	drop := &dropFirstBatchAnswer{}
	c, err := client.New(client.Config{Endpoint: f.env.URL, Token: f.env.OwnerToken, MaxRetries: 3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, HTTPClient: &http.Client{Transport: drop}})
	noErr(t, err)
	ops := batchCreates("lost", 50)
	res := must(c.Users.Batch(f.ctx, f.pid, ops))(t).Results
	if len(drop.keys) != 2 || drop.keys[0] == "" || drop.keys[0] != drop.keys[1] {
		t.Fatalf("batch attempts with Idempotency-Keys %q; want two with one key", drop.keys)
	}
	counts := f.emailCount(t)
	for i, r := range res {
		if r.Status != http.StatusCreated || r.User == nil || r.User.Email != ops[i].Create.Email {
			t.Fatalf("results[%d] = %d %+v %+v; want the replayed 201 of the first attempt", i, r.Status, r.User, r.Problem)
		}
		if counts[r.User.Email] != 1 {
			t.Errorf("%s exists %d times", r.User.Email, counts[r.User.Email])
		}
	}
	if len(counts) != 1+len(ops) {
		t.Errorf("%d users; want the owner and %d", len(counts), len(ops))
	}
}

func TestServerUsersBatchThroughFaults(t *testing.T) {
	f := start(t)
	proxy := portaltest.StartFaultProxy(t, f.env.URL, 0.4, 5)
	c, err := client.New(client.Config{Endpoint: proxy.URL, Token: f.env.OwnerToken, MaxRetries: 10,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	noErr(t, err)
	const batches, size = 8, 25
	for b := range batches {
		ops := batchCreates(fmt.Sprintf("f%d-", b), size)
		res, err := c.Users.Batch(f.ctx, f.pid, ops)
		if err != nil {
			t.Fatalf("batch %d: %v (%s)", b, err, proxy)
		}
		for i, r := range res.Results {
			if err := client.BatchItemError(f.pid, r); err != nil || r.User.Email != ops[i].Create.Email {
				t.Fatalf("batch %d results[%d]: %v %+v; want its create (%s)", b, i, err, r.User, proxy)
			}
		}
	}
	if _, injected := proxy.Stats(); injected[portaltest.FaultLostAnswer] == 0 {
		t.Fatalf("no answer was lost (%s): the test no longer tests a retry after one; change the seed", proxy)
	}
	counts := f.emailCount(t)
	if len(counts) != 1+batches*size {
		t.Errorf("%d users; want the owner and %d (%s)", len(counts), batches*size, proxy)
	}
	for e, n := range counts {
		if n != 1 {
			t.Errorf("%s exists %d times", e, n)
		}
	}
	t.Log(proxy)
}
