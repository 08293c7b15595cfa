package client

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// silentEndpoint listens on loopback, accepts every connection and never
// answers, as a wrong port or a hung server does. Each accepted connection
// is sent on the channel.
func silentEndpoint(t *testing.T) (string, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 64)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			accepted <- conn
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String(), accepted
}

// connections waits for n accepted connections and then checks that no
// more were made; call it once the calls are done.
func connections(t *testing.T, accepted <-chan net.Conn, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-accepted:
		case <-time.After(5 * time.Second):
			t.Fatalf("the endpoint accepted %d connection(s), want %d", i, n)
		}
	}
	select {
	case <-accepted:
		t.Fatalf("the endpoint accepted more than %d connection(s)", n)
	default:
	}
}

func TestNoAnswerFailsWithinTheFirstAnswerBound(t *testing.T) {
	endpoint, accepted := silentEndpoint(t)
	logger := &captureLogger{}
	c, err := New(Config{Endpoint: endpoint, Token: testToken, FirstAnswerTimeout: 200 * time.Millisecond,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	c.waitNotice = 50 * time.Millisecond

	start := time.Now()
	_, err = c.Me.Get(context.Background())
	elapsed := time.Since(start)

	// Two attempts of 200ms, although MaxRetries is the default 4: without
	// the bound, five attempts of 30s.
	if elapsed < 400*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("the call failed after %s, want after two attempts of 200ms", elapsed)
	}
	connections(t, accepted, 2)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if _, ok := AsAPIError(err); ok {
		t.Errorf("no answer is not an *APIError")
	}
	for _, want := range []string{"GET /v1/me", "the endpoint " + endpoint + " did not answer within 200ms", "after 2 attempt(s)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}

	waits := logger.find("info", "portal API request is waiting for an answer")
	if len(waits) != 2 {
		t.Fatalf("logged %d waits at INFO, want one per attempt; log:\n%s", len(waits), logger.text())
	}
	if f := waits[0].fields; f["limit"] != "200ms" || f["waited"] != "50ms" || f["endpoint"] != endpoint || f["path"] != "/v1/me" || f["attempt"] != 1 {
		t.Errorf("wait fields = %v, want the limit, the wait so far, the endpoint, the route and the attempt", f)
	}
	retries := logger.find("warn", "portal API request will be retried")
	if len(retries) != 1 || retries[0].fields["reason"] != "no answer within 200ms" {
		t.Errorf("retries logged = %v, want one, saying there was no answer within 200ms", retries)
	}
	if strings.Contains(logger.text(), testToken) {
		t.Errorf("the log shows the token:\n%s", logger.text())
	}
}

func TestNoAnswerToAnUnsafeRequestIsNotRetried(t *testing.T) {
	endpoint, accepted := silentEndpoint(t)
	c, err := New(Config{Endpoint: endpoint, Token: testToken, FirstAnswerTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	name := "Ada"
	_, err = c.Users.Update(context.Background(), "p_1", "u_1", api.UserUpdate{FirstName: &name}, 3)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "did not answer within 100ms (after 1 attempt(s))") {
		t.Fatalf("err = %v, want ErrUnreachable after one attempt", err)
	}
	connections(t, accepted, 1)
}

// TestSlowAnswerOnceTheEndpointAnsweredGetsTheRequestTimeout: the bound
// holds only until the endpoint has answered; then a slow answer, from a
// portal known to be there, gets the whole request timeout.
func TestSlowAnswerOnceTheEndpointAnsweredGetsTheRequestTimeout(t *testing.T) {
	var calls recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.record(r) > 1 {
			time.Sleep(300 * time.Millisecond) // a slow server, three times the first-answer bound
		}
		writeJSON(w, http.StatusOK, api.Me{Kind: api.KindOperator, TokenID: "tok_1"})
	}, func(cfg *Config) {
		cfg.FirstAnswerTimeout = 100 * time.Millisecond
		cfg.RequestTimeout = 10 * time.Second
	})
	for i := range 2 {
		if _, err := c.Me.Get(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if calls.count() != 2 {
		t.Errorf("server saw %d requests, want 2 (no retry)", calls.count())
	}
}

// TestNoAnswerLaterInARunIsTriedTwice: once the endpoint has answered, an
// attempt that gets no answer within the request timeout is tried again
// once, not MaxRetries times.
func TestNoAnswerLaterInARunIsTriedTwice(t *testing.T) {
	var calls recorder
	release := make(chan struct{})
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.record(r) > 1 {
			select { // hung until the client gives up on it
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		writeJSON(w, http.StatusOK, api.Me{Kind: api.KindOperator, TokenID: "tok_1"})
	}, func(cfg *Config) {
		cfg.RequestTimeout = 300 * time.Millisecond
		cfg.MaxRetries = 4
	})
	t.Cleanup(func() { close(release) })
	if _, err := c.Me.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Users.Get(context.Background(), "p_1", "u_1")
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the call failed after %s, want after two attempts of 300ms", elapsed)
	}
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "did not answer within 300ms (after 2 attempt(s))") {
		t.Fatalf("err = %v, want ErrUnreachable after two attempts of 300ms", err)
	}
	if calls.count() != 3 {
		t.Errorf("server saw %d requests, want 1 answered and 2 unanswered", calls.count())
	}
}

func TestConnectionRefusedIsUnreachable(t *testing.T) {
	c, endpoint := refusedClient(t, 1)
	_, err := c.Me.Get(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{"GET /v1/me", "cannot reach the endpoint " + endpoint + " (after 2 attempt(s))", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	for _, other := range []error{ErrNotFound, ErrUnauthenticated, ErrValidation} {
		if errors.Is(err, other) {
			t.Errorf("a refused connection matches %v", other)
		}
	}
}

func TestUntrustedCertificateIsNotUnreachable(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the client refuses
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: srv.URL, Token: testToken}) // without the test server's CA
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me.Get(context.Background())
	if err == nil || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "after 1 attempt(s)") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error after one attempt, not ErrUnreachable", err)
	}
}

func TestAnAnswerIsNeverUnreachable(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		writeProblem(w, http.StatusBadGateway, api.CodeInternal, "upstream down")
	})
	if _, err := c.Me.Get(context.Background()); err == nil || errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want the 502 problem, not ErrUnreachable", err)
	}
}

func TestEndpointEndingInV1(t *testing.T) {
	var rec recorder
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		writeJSON(w, http.StatusOK, api.Me{Kind: api.KindOperator})
	}))
	t.Cleanup(srv.Close)
	for endpoint, want := range map[string]string{
		srv.URL:                "/v1/me",
		srv.URL + "/":          "/v1/me",
		srv.URL + "/v1":        "/v1/me",
		srv.URL + "/v1/":       "/v1/me",
		srv.URL + "/portal/v1": "/portal/v1/me",
		srv.URL + "/portal":    "/portal/v1/me",
		srv.URL + "/v10":       "/v10/v1/me",
		srv.URL + "/api-v1":    "/api-v1/v1/me",
	} {
		c, err := New(Config{Endpoint: endpoint, Token: testToken})
		if err != nil {
			t.Fatalf("New(%q): %v", endpoint, err)
		}
		if _, err := c.Me.Get(context.Background()); err != nil {
			t.Fatalf("endpoint %q: %v", endpoint, err)
		}
		reqs := rec.all()
		if got := reqs[len(reqs)-1].uri; got != want {
			t.Errorf("endpoint %q requested %q, want %q", endpoint, got, want)
		}
	}
	for endpoint, want := range map[string]string{
		"https://v1":                 "https://v1",
		"https://v1/":                "https://v1",
		"https://portal.example/v1/": "https://portal.example",
	} {
		if got, err := parseEndpoint(endpoint); err != nil || got != want {
			t.Errorf("parseEndpoint(%q) = %q, %v; want %q", endpoint, got, err, want)
		}
	}
}

func TestFirstAnswerLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		want    time.Duration
		timeout time.Duration
	}{
		{"defaults", Config{}, 10 * time.Second, 30 * time.Second},
		{"set", Config{FirstAnswerTimeout: 3 * time.Second}, 3 * time.Second, 30 * time.Second},
		{"off", Config{FirstAnswerTimeout: -1}, 0, 30 * time.Second},
		{"request timeout below it", Config{RequestTimeout: 5 * time.Second}, 0, 5 * time.Second},
		{"request timeout above it", Config{RequestTimeout: 2 * time.Minute}, 10 * time.Second, 2 * time.Minute},
	} {
		tc.cfg.Endpoint, tc.cfg.Token = "https://portal.example.com", testToken
		c, err := New(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.firstAnswer.limit != tc.want || c.httpClient.Timeout != tc.timeout || c.httpClient.Transport != c.firstAnswer {
			t.Errorf("%s: first-answer bound %s, request timeout %s; want %s and %s", tc.name, c.firstAnswer.limit, c.httpClient.Timeout, tc.want, tc.timeout)
		}
		wantBound := tc.want
		if wantBound == 0 {
			wantBound = tc.timeout
		}
		if got := c.firstAnswer.bound(c.requestTimeout); got != wantBound {
			t.Errorf("%s: an attempt before any answer may wait %s, want %s", tc.name, got, wantBound)
		}
	}
}

// TestAccNoAnswerFailsWithinTheDefaultBound measures what a plan against a
// silent endpoint now waits with the provider's settings: 2 attempts of
// 10s instead of 5 attempts of 30s (2 min 32 s). It takes 20s, so it runs
// with TF_ACC, as `make test` sets it.
func TestAccNoAnswerFailsWithinTheDefaultBound(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("slow test (20s): set TF_ACC=1 to run it (`make test` does)")
	}
	endpoint, accepted := silentEndpoint(t)
	c, err := New(Config{Endpoint: endpoint, Token: testToken, MaxRetries: 4, RequestTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Me.Get(context.Background())
	elapsed := time.Since(start)
	t.Logf("a silent endpoint fails the call after %s: %v", elapsed.Round(10*time.Millisecond), err)
	if elapsed < 20*time.Second || elapsed > 25*time.Second {
		t.Errorf("the call failed after %s, want after two attempts of 10s", elapsed)
	}
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "did not answer within 10s (after 2 attempt(s))") {
		t.Errorf("err = %v, want ErrUnreachable after two attempts of 10s", err)
	}
	connections(t, accepted, 2)
}
