package client

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestNewValidatesConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no endpoint", Config{Token: testToken}, "endpoint is empty"},
		{"relative", Config{Endpoint: "/v1", Token: testToken}, "absolute http or https"},
		{"ftp", Config{Endpoint: "ftp://portal.example.com", Token: testToken}, "absolute http or https"},
		{"no host", Config{Endpoint: "https://", Token: testToken}, "no host"},
		{"query", Config{Endpoint: "https://portal.example.com?x=1", Token: testToken}, "query or fragment"},
		{"credentials", Config{Endpoint: "https://u:" + testToken + "@portal.example.com", Token: testToken}, "credentials"},
		{"no token", Config{Endpoint: "https://portal.example.com", Token: "  "}, "token is empty"},
		{"token with newline", Config{Endpoint: "https://portal.example.com", Token: testToken + "\n"}, "whitespace"},
		{"negative timeout", Config{Endpoint: "https://portal.example.com", Token: testToken, RequestTimeout: -1}, "negative"},
		{"min above max", Config{Endpoint: "https://portal.example.com", Token: testToken, RetryWaitMin: time.Minute, RetryWaitMax: time.Second}, "above RetryWaitMax"},
	}
	for _, tc := range cases {
		c, err := New(tc.cfg)
		if err == nil || c != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, %v; want error containing %q", tc.name, c, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: error %q contains the token", tc.name, err)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	injected := &http.Client{Timeout: time.Hour}
	c, err := New(Config{Endpoint: "https://portal.example.com/base/", Token: testToken, HTTPClient: injected})
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://portal.example.com/base" || c.maxRetries != 4 || c.waitMin != 250*time.Millisecond ||
		c.waitMax != 15*time.Second || c.userAgent != DefaultUserAgent || c.httpClient.Timeout != 30*time.Second {
		t.Errorf("defaults: %+v", *c)
	}
	if injected.Timeout != time.Hour || c.httpClient == injected {
		t.Errorf("the injected HTTP client was changed instead of copied")
	}
	c, err = New(Config{Endpoint: "http://127.0.0.1:1", Token: testToken, MaxRetries: -1})
	if err != nil || c.maxRetries != 0 {
		t.Errorf("MaxRetries -1 gives %d retries (%v), want 0", c.maxRetries, err)
	}
}

func TestRequestHeaders(t *testing.T) {
	var rec recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, api.User{ID: "u_1", Version: 8})
	}, func(cfg *Config) { cfg.UserAgent = "terraform-provider-portal/1.2.3 Terraform/1.9.0" })
	ctx := context.Background()
	name := "Ada"
	if u, err := c.Users.Update(ctx, "p_1", "u_1", api.UserUpdate{FirstName: &name}, 7); err != nil || u.Version != 8 {
		t.Fatalf("Update = %v, %v", u, err)
	}
	if _, err := c.Users.Get(ctx, "p_1", "u_1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Users.Delete(ctx, "p_1", "u_1", 0); err != nil {
		t.Fatal(err)
	}
	seen := map[string]http.Header{}
	for _, r := range rec.all() {
		seen[r.method] = r.header
	}
	for method, h := range seen {
		if h.Get("Authorization") != "Bearer "+testToken || h.Get("Accept") != "application/json" ||
			h.Get("User-Agent") != "terraform-provider-portal/1.2.3 Terraform/1.9.0" || h.Get("Idempotency-Key") != "" {
			t.Errorf("%s headers: %v", method, h)
		}
	}
	if h := seen[http.MethodPatch]; h.Get("If-Match") != `"7"` || h.Get("Content-Type") != "application/json" {
		t.Errorf("PATCH If-Match = %q, Content-Type = %q; want \"7\" and JSON", h.Get("If-Match"), h.Get("Content-Type"))
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if h := seen[method]; h.Get("If-Match") != "" || h.Get("Content-Type") != "" {
			t.Errorf("%s sends If-Match %q, Content-Type %q; want neither", method, h.Get("If-Match"), h.Get("Content-Type"))
		}
	}
}

func TestIdempotencyKeys(t *testing.T) {
	var rec recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		writeJSON(w, http.StatusCreated, api.User{ID: "u_1"})
	})
	ctx := context.Background()
	for range 2 {
		if _, err := c.Users.Create(ctx, "p_1", api.UserCreate{Email: "a@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Users.Create(WithIdempotencyKey(ctx, "my-key-1"), "p_1", api.UserCreate{Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Password.Setup(ctx, api.PasswordSetup{Token: "t", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	keys := rec.headers("Idempotency-Key")
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if len(keys) != 4 || !hex.MatchString(keys[0]) || !hex.MatchString(keys[1]) || keys[0] == keys[1] {
		t.Fatalf("keys = %q; want a new 128-bit hex key per create", keys)
	}
	if keys[2] != "my-key-1" || keys[3] != "" {
		t.Errorf("keys = %q; want the context's key, then none for password setup", keys)
	}
	if _, err := c.Users.Create(WithIdempotencyKey(ctx, ""), "p_1", api.UserCreate{}); err == nil || rec.count() != 4 {
		t.Errorf("an empty context key was sent (err %v)", err)
	}
}

func TestPathEscapingAndQuery(t *testing.T) {
	var rec recorder
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		writeJSON(w, http.StatusOK, api.GrantList{})
	})
	ctx := context.Background()
	if _, err := c.Grants.List(ctx, "p/1 x", "u?1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.List(ctx, "p_1", api.UserListOptions{Email: "a+b@example.com", Status: api.UserActive, PageSize: 50}); err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range rec.all() {
		uris = append(uris, r.uri)
	}
	want := []string{
		"/v1/partners/p%2F1%20x/users/u%3F1/roles",
		"/v1/partners/p_1/users?email=a%2Bb%40example.com&page_size=50&status=active",
	}
	if fmt.Sprint(uris) != fmt.Sprint(want) {
		t.Errorf("request URIs = %q, want %q", uris, want)
	}
	for _, call := range []func() error{
		func() error { _, err := c.Users.Get(ctx, "", "u_1"); return err },
		func() error { _, err := c.Roles.Get(ctx, "p_1", ".."); return err },
		func() error { return c.Grants.Revoke(ctx, "p_1", "u_1", "") },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "empty or invalid") {
			t.Errorf("err = %v, want an invalid id error", err)
		}
	}
	if rec.count() != 2 {
		t.Errorf("an invalid id reached the server: %q", uris)
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	c, logger := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_echo")
		echo := "you sent " + r.Header.Get("Authorization")
		if r.URL.Path == "/v1/me" { // a proxy echoing the request as text
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(echo))
			return
		}
		writeProblem(w, http.StatusUnauthorized, api.CodeUnauthenticated, echo)
	})
	_, errMe := c.Me.Get(context.Background())
	_, errUser := c.Users.Get(context.Background(), "p_1", "u_1")
	if errMe == nil || errUser == nil {
		t.Fatalf("want errors, got %v, %v", errMe, errUser)
	}
	apiErr, _ := AsAPIError(errUser)
	cfg := Config{Endpoint: "https://portal.example.com", Token: testToken}
	surfaces := map[string]string{
		"error":          errMe.Error() + errUser.Error(),
		"problem":        fmt.Sprintf("%+v", apiErr.Problem),
		"log":            logger.text(),
		"client":         fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		"config":         fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		"config pointer": fmt.Sprintf("%v", &cfg),
	}
	for name, text := range surfaces {
		if strings.Contains(text, testToken) {
			t.Errorf("%s shows the token: %s", name, text)
		}
	}
	if !strings.Contains(logger.text(), "req_echo") || !strings.Contains(errUser.Error(), "you sent Bearer "+redacted) {
		t.Errorf("want logged attempts with request ids and a redacted echo; log:\n%s\nerror: %v", logger.text(), errUser)
	}
}
