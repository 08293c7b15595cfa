package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestRetryGETOn503ThenSuccess(t *testing.T) {
	var calls recorder
	c, logger := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.record(r) == 1 {
			writeProblem(w, http.StatusServiceUnavailable, api.CodeInternal, "warming up")
			return
		}
		writeJSON(w, http.StatusOK, api.Me{Kind: api.KindOperator, TokenID: "tok_1"})
	})
	me, err := c.Me.Get(context.Background())
	if err != nil {
		t.Fatalf("Me.Get: %v", err)
	}
	if me.TokenID != "tok_1" || calls.count() != 2 {
		t.Fatalf("got token %q after %d requests, want tok_1 after 2", me.TokenID, calls.count())
	}
	var retried bool
	for _, e := range logger.all() {
		retried = retried || (e.level == "warn" && e.fields["reason"] == "server error (503)")
	}
	if !retried {
		t.Errorf("no retry logged with its reason; log:\n%s", logger.text())
	}
}

func TestNoRetryOfUnsafeRequestsOn503(t *testing.T) {
	ctx := context.Background()
	name := "New"
	calls := map[string]func(c *Client) error{
		"PATCH user": func(c *Client) error {
			_, err := c.Users.Update(ctx, "p_1", "u_1", api.UserUpdate{FirstName: &name}, 3)
			return err
		},
		"POST accept": func(c *Client) error {
			_, err := c.Invites.Accept(ctx, api.InviteAccept{Token: "inv", Password: "pw"})
			return err
		},
		"POST clock advance": func(c *Client) error {
			_, err := c.Dev.AdvanceClock(ctx, time.Hour)
			return err
		},
	}
	for label, call := range calls {
		t.Run(label, func(t *testing.T) {
			var hits recorder
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				hits.record(r)
				writeProblem(w, http.StatusServiceUnavailable, api.CodeInternal, "down")
			})
			err := call(c)
			if apiErr, ok := AsAPIError(err); !ok || apiErr.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("err = %v, want the 503 problem", err)
			}
			if hits.count() != 1 {
				t.Fatalf("server saw %d requests, want 1 (no retry)", hits.count())
			}
		})
	}
}

func TestRetryCreateOnConnectionResetKeepsKeyAndBody(t *testing.T) {
	var rec recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if rec.record(r) == 1 {
			panic(http.ErrAbortHandler) // drop the connection without an answer
		}
		writeJSON(w, http.StatusCreated, api.User{ID: "u_1", Email: "a@example.com"})
	})
	u, err := c.Users.Create(context.Background(), "p_1", api.UserCreate{Email: "a@example.com", Roles: []string{"member"}})
	if err != nil {
		t.Fatalf("Users.Create: %v", err)
	}
	reqs := rec.all()
	if u.ID != "u_1" || len(reqs) != 2 {
		t.Fatalf("got user %q after %d attempts, want u_1 after 2", u.ID, len(reqs))
	}
	keys := rec.headers("Idempotency-Key")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(keys[0]) || keys[0] != keys[1] {
		t.Errorf("Idempotency-Key per attempt = %q, want one 128-bit hex key on both", keys)
	}
	if reqs[0].body == "" || reqs[0].body != reqs[1].body {
		t.Errorf("bodies per attempt = %q and %q, want the same non-empty body", reqs[0].body, reqs[1].body)
	}
}

func TestRetry429EvenForUnsafePOST(t *testing.T) {
	var calls recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.record(r) == 1 {
			writeProblem(w, http.StatusTooManyRequests, api.CodeRateLimited, "slow down")
			return
		}
		writeJSON(w, http.StatusCreated, api.User{ID: "u_9"})
	})
	u, err := c.Invites.Accept(context.Background(), api.InviteAccept{Token: "inv", Password: "pw"})
	if err != nil || u.ID != "u_9" || calls.count() != 2 {
		t.Fatalf("Accept = %v, %v after %d requests; want u_9 after 2", u, err, calls.count())
	}
}

func TestRetriesExhaustedReturnLastAPIError(t *testing.T) {
	var calls recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.record(r)
		writeProblem(w, http.StatusBadGateway, api.CodeInternal, "upstream down")
	})
	_, err := c.Users.Get(context.Background(), "p_1", "u_1")
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.StatusCode != http.StatusBadGateway || apiErr.Detail != "upstream down" {
		t.Fatalf("err = %v, want the last 502 problem as *APIError", err)
	}
	if strings.Contains(err.Error(), "giving up") || calls.count() != 4 {
		t.Fatalf("err = %q after %d requests; want the problem after 1+3 attempts", err, calls.count())
	}
}

func TestConnectionErrorReportsAttempts(t *testing.T) {
	c, _ := refusedClient(t, 2)
	_, err := c.Me.Get(context.Background())
	if err == nil || !strings.Contains(err.Error(), "after 3 attempt(s)") || !strings.Contains(err.Error(), "GET /v1/me") {
		t.Fatalf("err = %v, want the route and 3 attempts", err)
	}
	if _, ok := AsAPIError(err); ok {
		t.Errorf("a connection error is not an *APIError")
	}
}

func TestContextCancelStopsRetriesDuringRetryAfter(t *testing.T) {
	var calls recorder
	hit := make(chan struct{}, 10)
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.record(r)
		w.Header().Set("Retry-After", "30")
		writeProblem(w, http.StatusTooManyRequests, api.CodeRateLimited, "slow down")
		hit <- struct{}{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-hit
		cancel()
	}()
	start := time.Now()
	_, err := c.Me.Get(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("returned after %s, want well before the 30s Retry-After", elapsed)
	}
	if calls.count() != 1 {
		t.Errorf("server saw %d requests, want 1", calls.count())
	}
}

func TestCheckRetryStopsOnContextError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &attempts{ctx: ctx, logger: nopLogger{}, method: http.MethodGet, safe: true}
	retry, err := a.check(ctx, &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}, nil)
	if retry || !errors.Is(err, context.Canceled) {
		t.Fatalf("check = %v, %v; want false, context.Canceled", retry, err)
	}
}

func responseWith(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	const waitMin, waitMax = 250 * time.Millisecond, time.Second
	cases := []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"429 seconds", responseWith(429, "7"), 7 * time.Second},
		{"503 seconds", responseWith(503, "2"), 2 * time.Second},
		{"capped at 60s", responseWith(429, "120"), 60 * time.Second},
		{"zero", responseWith(429, "0"), 0},
	}
	for _, tc := range cases {
		if got := backoff(waitMin, waitMax, 0, tc.resp); got != tc.want {
			t.Errorf("%s: backoff = %s, want %s", tc.name, got, tc.want)
		}
	}
	date := time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)
	if got := backoff(waitMin, waitMax, 0, responseWith(429, date)); got < 8*time.Second || got > 10*time.Second {
		t.Errorf("HTTP-date 10s ahead: backoff = %s, want about 10s", got)
	}
	for _, resp := range []*http.Response{responseWith(500, "7"), responseWith(429, "soon"), nil} {
		if got := backoff(waitMin, waitMax, 0, resp); got > waitMin {
			t.Errorf("backoff ignoring Retry-After = %s, want at most %s", got, waitMin)
		}
	}
}

func TestBackoffExponentialWithJitter(t *testing.T) {
	const waitMin, waitMax = 100 * time.Millisecond, time.Second
	for attempt := range 8 {
		ceiling := min(waitMin<<attempt, waitMax)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := backoff(waitMin, waitMax, attempt, responseWith(503, ""))
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: backoff %s outside [0, %s]", attempt, d, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: 50 waits took one value; want jitter", attempt)
		}
	}
}

func TestBackoffLogsRetryAfterBeyondCap(t *testing.T) {
	logger := &captureLogger{}
	a := &attempts{ctx: context.Background(), logger: logger, method: http.MethodGet, path: "/v1/me", waitMax: time.Second, retryMax: 4, attempt: 1, reason: "rate limited (429)"}
	if got := a.backoff(time.Millisecond, time.Second, 0, responseWith(429, "7")); got != 7*time.Second {
		t.Fatalf("wait = %s, want 7s", got)
	}
	entries := logger.all()
	if len(entries) != 1 || entries[0].level != "warn" {
		t.Fatalf("log = %v, want one warning", entries)
	}
	f := entries[0].fields
	if f["wait"] != "7s" || f["retry_after"] != "7s" || f["retry_after_note"] == nil || f["reason"] != "rate limited (429)" {
		t.Errorf("fields = %v, want wait, retry_after, its note and the reason", f)
	}
}

func TestRetryPolicy(t *testing.T) {
	connErr := errors.New("connection reset by peer")
	certErr := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	cases := []struct {
		name  string
		resp  *http.Response
		err   error
		safe  bool
		retry bool
	}{
		{"429 unsafe", responseWith(429, ""), nil, false, true},
		{"503 safe", responseWith(503, ""), nil, true, true},
		{"500 safe", responseWith(500, ""), nil, true, true},
		{"504 safe", responseWith(504, ""), nil, true, true},
		{"503 unsafe", responseWith(503, ""), nil, false, false},
		{"501 safe", responseWith(501, ""), nil, true, false},
		{"409 safe", responseWith(409, ""), nil, true, false},
		{"400 safe", responseWith(400, ""), nil, true, false},
		{"200", responseWith(200, ""), nil, true, false},
		{"connection safe", nil, connErr, true, true},
		{"connection unsafe", nil, connErr, false, false},
		{"canceled", nil, context.Canceled, true, false},
		{"bad certificate", nil, certErr, true, false},
	}
	for _, tc := range cases {
		if got := retryReason(tc.resp, tc.err, tc.safe) != ""; got != tc.retry {
			t.Errorf("%s: retry = %v, want %v", tc.name, got, tc.retry)
		}
	}
	keyed := http.Header{"Idempotency-Key": {"k"}}
	for _, tc := range []struct {
		method string
		h      http.Header
		want   bool
	}{
		{http.MethodGet, nil, true}, {http.MethodPut, nil, true}, {http.MethodDelete, nil, true},
		{http.MethodHead, nil, true}, {http.MethodOptions, nil, true},
		{http.MethodPost, keyed, true}, {http.MethodPost, http.Header{}, false}, {http.MethodPatch, keyed, false},
	} {
		if got := retrySafe(tc.method, tc.h); got != tc.want {
			t.Errorf("retrySafe(%s, %v) = %v, want %v", tc.method, tc.h, got, tc.want)
		}
	}
}

// TestConnectionsAreReusedUnderParallelism makes 100 requests from 10
// workers that pause between requests, as Terraform's default parallelism
// does: connections are kept and reused rather than opened for most requests.
func TestConnectionsAreReusedUnderParallelism(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond) // a server's latency, so that requests overlap
		writeJSON(w, http.StatusOK, map[string]any{"kind": "partner", "permissions": []string{}})
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 10 {
				if _, err := c.Me.Get(context.Background()); err != nil {
					t.Error(err)
				}
				time.Sleep(time.Millisecond) // Terraform's own work between two requests
			}
		})
	}
	wg.Wait()
	// Measured: 10 with connections kept; 59 to 79 with Go's default of 2
	// idle connections per host.
	if n := opened.Load(); n > 20 {
		t.Fatalf("100 requests from 10 workers opened %d connections, want at most 20", n)
	}
}
