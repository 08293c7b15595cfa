package client

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzAPIErrorParsing feeds arbitrary error bodies to the client's problem
// decoding: it never panics, always says what failed, maps to the sentinel
// of its status, and never repeats the token a body may echo.
func FuzzAPIErrorParsing(f *testing.F) {
	f.Add(409, "application/problem+json", []byte(`{"type":"x","title":"Conflict","status":409,"code":"email_taken","detail":"taken","request_id":"req_1","errors":[{"field":"email","code":"taken","message":"m"}],"user_id":"usr_1"}`))
	f.Add(422, "application/problem+json", []byte(`{"code":"validation_failed","errors":[{"field":"roles[1]"}]}`))
	f.Add(500, "text/html", []byte("<html>oops ptk_secret</html>"))
	f.Add(404, "application/json", []byte(`{"code":`))
	f.Add(429, "", []byte{0xff, 0xfe, 0x00})
	f.Add(412, "application/problem+json; charset=utf-8", []byte(`{"code":"precondition_failed","errors":null}`))
	f.Add(400, "application/problem+json", []byte(`["not","an","object"]`))
	const token = "ptk_secret"
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 400 || status > 599 {
			return
		}
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("X-Request-Id", "req_fuzz")
		e := newAPIError(http.MethodPost, "/v1/partners/p/users", &http.Response{StatusCode: status, Header: h}, body, token)
		msg := e.Error()
		if msg == "" || !strings.Contains(msg, "POST /v1/partners/p/users") {
			t.Fatalf("error %q does not say what failed", msg)
		}
		if strings.Contains(msg, token) || strings.Contains(e.Detail, token) {
			t.Fatalf("the token leaked into the error: %q", msg)
		}
		if e.RequestID == "" {
			t.Fatal("the request id from the header was lost")
		}
		want := map[int]error{404: ErrNotFound, 409: ErrConflict, 412: ErrPreconditionFailed, 429: ErrRateLimited, 401: ErrUnauthenticated, 403: ErrForbidden, 400: ErrValidation, 422: ErrValidation}[status]
		if want != nil && !errors.Is(e, want) {
			t.Fatalf("status %d does not match its sentinel %v", status, want)
		}
	})
}
