package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const testToken = "ptk_s3cr3t-t0ken-value"

// logEntry is one entry a captureLogger received.
type logEntry struct {
	level, msg string
	fields     map[string]any
}

// captureLogger records every entry it receives.
type captureLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *captureLogger) add(level, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level, msg, fields})
}

func (l *captureLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.add("debug", msg, fields)
}

func (l *captureLogger) Info(_ context.Context, msg string, fields map[string]any) {
	l.add("info", msg, fields)
}

func (l *captureLogger) Warn(_ context.Context, msg string, fields map[string]any) {
	l.add("warn", msg, fields)
}

// find returns the entries at level whose message is msg.
func (l *captureLogger) find(level, msg string) []logEntry {
	var found []logEntry
	for _, e := range l.all() {
		if e.level == level && e.msg == msg {
			found = append(found, e)
		}
	}
	return found
}

func (l *captureLogger) all() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEntry(nil), l.entries...)
}

// text is everything the logger received, printed.
func (l *captureLogger) text() string {
	var b strings.Builder
	for _, e := range l.all() {
		fmt.Fprintf(&b, "%s %s %v\n", e.level, e.msg, e.fields)
	}
	return b.String()
}

// newTestClient serves h on httptest and returns a client of it with short
// retry waits, 3 retries and a captureLogger; mods adjust the Config.
func newTestClient(t *testing.T, h http.HandlerFunc, mods ...func(*Config)) (*Client, *captureLogger) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	logger := &captureLogger{}
	cfg := Config{
		Endpoint:     srv.URL,
		Token:        testToken,
		MaxRetries:   3,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
		Logger:       logger,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, logger
}

// refusedClient is a client of an endpoint where nothing listens any more,
// so that every connection is refused, trying maxRetries times again with
// millisecond waits.
func refusedClient(t *testing.T, maxRetries int) (c *Client, endpoint string) {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Token: testToken, MaxRetries: maxRetries, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv.URL
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Request-Id", "req_hdr")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(api.Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status,
		Code: code, Detail: detail, RequestID: "req_body",
	})
}

// recorded is one request a test server received.
type recorded struct {
	method, uri string
	header      http.Header
	body        string
}

// recorder records requests safely across handler goroutines.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

// record stores r and returns how many requests were recorded so far.
func (rec *recorder) record(r *http.Request) int {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, recorded{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
	return len(rec.reqs)
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func (rec *recorder) count() int { return len(rec.all()) }

// headers returns one header of every recorded request.
func (rec *recorder) headers(name string) []string {
	var vs []string
	for _, r := range rec.all() {
		vs = append(vs, r.header.Get(name))
	}
	return vs
}
