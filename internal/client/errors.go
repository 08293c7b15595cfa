package client

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// Sentinels matched by *APIError through errors.Is, by HTTP status.
var (
	ErrValidation         = errors.New("portal API: invalid request")     // 400 or 422
	ErrUnauthenticated    = errors.New("portal API: unauthenticated")     // 401
	ErrForbidden          = errors.New("portal API: forbidden")           // 403
	ErrNotFound           = errors.New("portal API: not found")           // 404
	ErrConflict           = errors.New("portal API: conflict")            // 409
	ErrPreconditionFailed = errors.New("portal API: precondition failed") // 412
	ErrRateLimited        = errors.New("portal API: rate limited")        // 429
)

// ErrUnreachable is matched by errors.Is when a call got no answer at all
// from the endpoint: its name did not resolve, the connection was refused or
// cut, or the endpoint did not answer in time. A certificate that is not
// trusted is not ErrUnreachable: that endpoint was reached.
var ErrUnreachable = errors.New("portal API: endpoint unreachable")

// unreachableError is the error of a call that got no answer: it names the
// endpoint, how many attempts were made and, for a timeout, how long the
// last one waited; it unwraps to the last attempt's error.
type unreachableError struct {
	endpoint string
	attempts int
	within   time.Duration // > 0: connected or connecting, but no answer within it
	err      error
}

func (e *unreachableError) Error() string {
	if e.within > 0 {
		return fmt.Sprintf("the endpoint %s did not answer within %s (after %d attempt(s)); check that it is the portal's URL and that the portal is up",
			e.endpoint, e.within, e.attempts)
	}
	cause := e.err
	var urlErr *url.Error // "Get <url>: ...": the endpoint and route are said already
	if errors.As(cause, &urlErr) {
		cause = urlErr.Err
	}
	var (
		opErr  *net.OpError
		dnsErr *net.DNSError
	)
	if errors.As(cause, &dnsErr) || (errors.As(cause, &opErr) && opErr.Op == "dial") {
		return fmt.Sprintf("cannot reach the endpoint %s (after %d attempt(s)): %v", e.endpoint, e.attempts, cause)
	}
	return fmt.Sprintf("the connection to the endpoint %s broke before an answer (after %d attempt(s)): %v", e.endpoint, e.attempts, cause)
}

func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }
func (e *unreachableError) Unwrap() error        { return e.err }

// maxDetailBytes bounds the detail taken from an answer that is not a problem.
const maxDetailBytes = 512

// APIError is an error answer of the Portal API, decoded from its
// application/problem+json body when it has one.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the stable problem code, such as api.CodeEmailTaken; "" when
	// the body was not a problem.
	Code string
	// Title and Detail explain the problem. For a body that is not a
	// problem, Detail holds its first 512 bytes.
	Title  string
	Detail string
	// FieldErrors lists the invalid fields of a 422 validation_failed (and
	// the email of a 409 email_taken or user_deleted, the role of a 403
	// role_above_ceiling); each Code is one of api.FieldCodes.
	FieldErrors []api.FieldError
	// RequestID is the server's X-Request-Id, to quote when asking for help.
	RequestID string
	// Problem is the whole decoded body, with the code-specific fields such
	// as UserID, RestorableUserID, InviteID and CeilingRank.
	Problem api.Problem
	// Method and Path are the request's, without the query.
	Method, Path string
}

// Error reads like
// "portal API: POST /v1/partners/p_1/users: 409 email_taken: <detail> (request id req_abc)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "portal API: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if msg := cmp.Or(e.Detail, e.Title, http.StatusText(e.StatusCode)); msg != "" {
		b.WriteString(": " + msg)
	}
	for _, fe := range e.FieldErrors {
		fmt.Fprintf(&b, "; %s: %s", fe.Field, cmp.Or(fe.Message, fe.Code))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Is matches the sentinel of the error's status, so that
// errors.Is(err, ErrNotFound) holds for a 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// AsAPIError returns the *APIError in err's chain.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// IsCode reports whether err is an *APIError with the problem code code.
func IsCode(err error, code string) bool {
	e, ok := AsAPIError(err)
	return ok && e.Code == code
}

// newAPIError decodes an error answer. A body that is not a problem keeps
// its first bytes as the detail. The token is cut out of every text the
// error carries, after decoding, in case a proxy echoes the request: cutting
// it from the raw body alone misses a token that JSON escapes or an invalid
// UTF-8 byte only put together again once decoded (found by fuzzing).
func newAPIError(method, path string, resp *http.Response, body []byte, token string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
	var p api.Problem
	if isJSON(resp.Header.Get("Content-Type")) && json.Unmarshal(body, &p) == nil {
		e.Problem = p
	} else {
		e.Problem.Title = http.StatusText(resp.StatusCode)
		e.Problem.Detail = strings.TrimSpace(strings.ToValidUTF8(string(body[:min(len(body), maxDetailBytes)]), ""))
	}
	redactProblem(&e.Problem, token)
	p = e.Problem
	e.Code, e.Title, e.Detail, e.FieldErrors, e.RequestID = p.Code, p.Title, p.Detail, p.Errors, p.RequestID
	e.RequestID = cmp.Or(e.RequestID, redact(resp.Header.Get("X-Request-Id"), token))
	return e
}

// redactProblem cuts the token out of every text of a problem.
func redactProblem(p *api.Problem, token string) {
	for _, s := range []*string{&p.Type, &p.Title, &p.Code, &p.Detail, &p.Instance, &p.RequestID,
		&p.UserID, &p.RestorableUserID, &p.InviteID, &p.ActorRole} {
		*s = redact(*s, token)
	}
	for i := range p.Errors {
		fe := &p.Errors[i]
		fe.Field, fe.Code, fe.Message = redact(fe.Field, token), redact(fe.Code, token), redact(fe.Message, token)
	}
}

// redact replaces the token in s, after making s valid UTF-8.
func redact(s, token string) string {
	s = strings.ToValidUTF8(s, "")
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}

// isJSON reports whether a Content-Type is JSON, such as application/json
// or application/problem+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
