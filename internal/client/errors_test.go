package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestProblemDecodedIntoAPIError(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("X-Request-Id", "req_hdr")
		writeJSON(w, http.StatusUnprocessableEntity, api.Problem{
			Title: "Validation failed", Status: 422, Code: api.CodeValidationFailed,
			Detail: "the user has invalid fields", RequestID: "req_abc",
			Errors: []api.FieldError{{Field: "roles[1]", Code: "unknown_role", Message: "no role \"boss\""}},
		})
	})
	_, err := c.Users.Create(context.Background(), "p_1", api.UserCreate{Email: "a@example.com"})
	apiErr, ok := AsAPIError(err)
	if !ok {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.Code != api.CodeValidationFailed || apiErr.RequestID != "req_abc" || apiErr.Title != "Validation failed" ||
		len(apiErr.FieldErrors) != 1 || apiErr.FieldErrors[0].Field != "roles[1]" || apiErr.Problem.Status != 422 {
		t.Fatalf("decoded %+v", apiErr)
	}
	want := `portal API: POST /v1/partners/p_1/users: 422 validation_failed: the user has invalid fields; roles[1]: no role "boss" (request id req_abc)`
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, ErrValidation) || !IsCode(err, api.CodeValidationFailed) || IsCode(err, api.CodeEmailTaken) {
		t.Errorf("errors.Is / IsCode do not match the problem")
	}
}

func TestAPIErrorIsSentinels(t *testing.T) {
	sentinels := map[int]error{
		400: ErrValidation, 401: ErrUnauthenticated, 403: ErrForbidden, 404: ErrNotFound,
		409: ErrConflict, 412: ErrPreconditionFailed, 422: ErrValidation, 429: ErrRateLimited,
	}
	var status atomic.Int64
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, int(status.Load()), "some_code", "nope")
	}, func(cfg *Config) { cfg.MaxRetries = -1 })
	for code, want := range sentinels {
		status.Store(int64(code))
		_, err := c.Me.Get(context.Background())
		if !errors.Is(err, want) {
			t.Errorf("%d: errors.Is(%v, %v) = false", code, err, want)
		}
		for other, sentinel := range sentinels {
			if sentinel != want && errors.Is(err, sentinel) { //nolint:errorlint // compares the sentinels themselves, not err
				t.Errorf("%d: also matches %v (of %d)", code, sentinel, other)
			}
		}
	}
	status.Store(500)
	_, err := c.Me.Get(context.Background())
	for _, sentinel := range sentinels {
		if errors.Is(err, sentinel) {
			t.Errorf("500 matches %v", sentinel)
		}
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	long := "  <html>" + strings.Repeat("x", 1000) + "</html>"
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_proxy")
		switch r.URL.Path {
		case "/v1/me":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(long))
		default: // claims JSON, is not
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("  no such thing \n"))
		}
	})
	_, err := c.Me.Get(context.Background())
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Code != "" || apiErr.RequestID != "req_proxy" || !errors.Is(err, ErrForbidden) {
		t.Fatalf("err = %#v, want a 403 *APIError with the header's request id", apiErr)
	}
	if len(apiErr.Detail) > maxDetailBytes || !strings.HasPrefix(apiErr.Detail, "<html>xxx") {
		t.Errorf("detail = %q (%d bytes), want the trimmed first %d bytes", apiErr.Detail, len(apiErr.Detail), maxDetailBytes)
	}
	_, err = c.Partners.Get(context.Background(), "p_1")
	if apiErr, ok := AsAPIError(err); !ok || apiErr.Detail != "no such thing" || apiErr.Title != "Not Found" {
		t.Fatalf("err = %v, want detail %q from an invalid JSON body", err, "no such thing")
	}
}

func TestAsAPIErrorThroughWrapping(t *testing.T) {
	inner := &APIError{StatusCode: 409, Code: api.CodeEmailTaken, Method: "POST", Path: "/v1/partners/p_1/users"}
	wrapped := fmt.Errorf("create user: %w", inner)
	if got, ok := AsAPIError(wrapped); !ok || got != inner {
		t.Errorf("AsAPIError(wrapped) = %v, %v", got, ok)
	}
	if !IsCode(wrapped, api.CodeEmailTaken) || !errors.Is(wrapped, ErrConflict) {
		t.Errorf("IsCode / errors.Is fail through wrapping")
	}
	plain := errors.New("boom")
	if _, ok := AsAPIError(plain); ok || IsCode(plain, "") {
		t.Errorf("a plain error is not an *APIError")
	}
	if want := "portal API: POST /v1/partners/p_1/users: 409 email_taken: Conflict"; inner.Error() != want {
		t.Errorf("Error() = %q, want %q", inner.Error(), want)
	}
}
