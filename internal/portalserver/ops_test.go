package portalserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

func TestAuthentication(t *testing.T) {
	w := newWorld(t)
	wantProblem(t, w.Do(t, "", http.MethodGet, "/v1/me", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	wantProblem(t, w.Do(t, "ptk_not_a_token", http.MethodGet, "/v1/me", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	// A removed user's token stops working.
	u, token := w.actor("leaver@acme.test", api.RoleMember)
	wantStatus(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusOK)
	wantStatus(t, w.Do(t, w.OwnerToken, http.MethodDelete, w.usersPath(w.PartnerID)+"/"+u.ID, nil), http.StatusNoContent)
	wantProblem(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	// Only an operator creates partners; only tokens.manage mints tokens.
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodPost, "/v1/partners", api.PartnerCreate{Name: "X"}), http.StatusForbidden, api.CodeForbidden)
	_, admin := w.actor("admin@acme.test", api.RoleAdmin)
	wantProblem(t, w.Do(t, admin, http.MethodPost, "/v1/partners/"+w.PartnerID+"/tokens", api.TokenCreate{UserID: u.ID, Name: "x"}), http.StatusForbidden, api.CodeForbidden)
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	env := portaltest.Start(t, portaltest.Options{RateLimit: 1, RateBurst: 3})
	var limited *portaltest.Response
	for range 10 {
		res := env.Do(t, env.OwnerToken, http.MethodGet, "/v1/me", nil)
		if res.Header.Get("RateLimit-Limit") != "3" {
			t.Fatalf("RateLimit-Limit = %q, want 3", res.Header.Get("RateLimit-Limit"))
		}
		if res.Status == http.StatusTooManyRequests {
			limited = res
			break
		}
	}
	if limited == nil {
		t.Fatal("10 requests at once against a burst of 3 were never limited")
	}
	wantProblem(t, limited, http.StatusTooManyRequests, api.CodeRateLimited)
	if s, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", limited.Header.Get("Retry-After"))
	}
	// Limits are per token: another token is not affected.
	if res := env.Do(t, env.OperatorToken, http.MethodGet, "/v1/me", nil); res.Status != http.StatusOK {
		t.Fatalf("operator token limited too: %d", res.Status)
	}
}

func TestNothingLostAcrossRestart(t *testing.T) {
	env := newRestartable(t)
	boot := env.boot
	res := env.Do(t, boot.Token, http.MethodPost, "/v1/partners/"+boot.PartnerID+"/users", api.UserCreate{Email: "kept@acme.test", Roles: []string{api.RoleMember}})
	wantStatus(t, res, http.StatusCreated)
	env.restart()
	var list api.UserList
	env.Do(t, boot.Token, http.MethodGet, "/v1/partners/"+boot.PartnerID+"/users?email=kept@acme.test", nil).Decode(t, &list)
	if len(list.Users) != 1 || list.Users[0].Roles[0] != api.RoleMember {
		t.Fatalf("after restart: %+v", list.Users)
	}
}

func TestTokensStoredHashed(t *testing.T) {
	w := newWorld(t)
	raw := w.OwnerToken
	_ = w.Server.Close() // flush; the test's cleanup closes again harmlessly
	b := readFile(t, w.DBPath)
	if strings.Contains(b, raw) {
		t.Fatal("the database holds a token in the clear")
	}
}

func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	w := newWorld(t)
	w.Do(t, w.OwnerToken, http.MethodGet, "/v1/me", nil)
	w.Do(t, "", http.MethodGet, "/v1/me", nil)
	res := w.Do(t, "", http.MethodGet, "/metrics", nil)
	body := string(res.Body)
	for _, want := range []string{
		`portald_http_requests_total{route="GET /v1/me",status="200"} 1`,
		`portald_http_requests_total{route="GET /v1/me",status="401"} 1`,
		`portald_http_request_duration_seconds_count{route="GET /v1/me"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestUnknownRouteAndDevRoutesOffWithoutDev(t *testing.T) {
	w := newWorld(t)
	wantProblem(t, w.Do(t, w.OwnerToken, http.MethodGet, "/v1/nothing-here", nil), http.StatusNotFound, api.CodeNotFound)
	s, err := portalserver.Open(context.Background(), portalserver.Config{DBPath: portaltest.Database(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/dev/outbox", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("dev outbox without --dev: %d, want 404", rec.Code)
	}
}

func TestAccessLogIsStructured(t *testing.T) {
	var logs bytes.Buffer
	s, err := portalserver.Open(context.Background(), portalserver.Config{
		DBPath: portaltest.Database(t), Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	req.Header.Set("X-Request-Id", "trace-me-1")
	req.Header.Set("Authorization", "Bearer ptk_secret_never_logged")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)

	var entry struct {
		Msg, Method, Path, Route, RequestID string
		Status                              int
		DurationMS                          *float64 `json:"duration_ms"`
	}
	line := strings.TrimSpace(logs.String())
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		t.Fatalf("the access log is not one JSON object per request: %q (%v)", line, err)
	}
	if entry.Msg != "request" || entry.Method != http.MethodGet || entry.Route != "GET /v1/me" ||
		entry.Status != http.StatusUnauthorized || entry.DurationMS == nil {
		t.Fatalf("access log entry %+v lacks the method, route, status or duration", entry)
	}
	if !strings.Contains(line, `"request_id":"trace-me-1"`) || strings.Contains(line, "ptk_secret") {
		t.Fatalf("access log %s: want the request id and never the token", line)
	}
}
