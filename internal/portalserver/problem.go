package portalserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// problem is an error that becomes an RFC 9457 answer.
type problem struct {
	api.Problem
	retryAfter int // seconds, for 429
}

func (p *problem) Error() string { return p.Code + ": " + p.Detail }

func newProblem(status int, code, format string, args ...any) *problem {
	return &problem{Problem: api.Problem{
		Type:   api.ProblemType,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: fmt.Sprintf(format, args...),
	}}
}

func notFound(what string) *problem {
	return newProblem(http.StatusNotFound, api.CodeNotFound, "%s not found", what)
}

func forbidden(format string, args ...any) *problem {
	return newProblem(http.StatusForbidden, api.CodeForbidden, format, args...)
}

func badRequest(field, format string, args ...any) *problem {
	p := newProblem(http.StatusBadRequest, api.CodeInvalidRequest, format, args...)
	if field != "" {
		p.Errors = []api.FieldError{{Field: field, Code: api.FieldInvalid, Message: p.Detail}}
	}
	return p
}

func conflict(code, format string, args ...any) *problem {
	return newProblem(http.StatusConflict, code, format, args...)
}

// fieldErrors collects per-field validation failures into one 422.
type fieldErrors []api.FieldError

func (f *fieldErrors) add(field, code, format string, args ...any) {
	*f = append(*f, api.FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// text refuses in a text field what api.CheckText refuses: invalid UTF-8,
// control characters and the bidirectional formatting characters that make
// text display in another order than it is stored.
func (f *fieldErrors) text(field string, v *string) {
	if v == nil {
		return
	}
	if err := api.CheckText(*v); err != nil {
		f.add(field, api.FieldInvalidText, "%v", err)
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	msgs := make([]string, len(f))
	for i, e := range f {
		msgs[i] = e.Field + ": " + e.Message
	}
	p := newProblem(http.StatusUnprocessableEntity, api.CodeValidationFailed, "%s", strings.Join(msgs, "; "))
	p.Errors = f
	return p
}

// writeProblem answers with err as problem+json; anything that is not a
// *problem is a 500 whose cause goes to the log, not to the caller.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem
	if !errors.As(err, &p) {
		s.log.ErrorContext(r.Context(), "internal error", "err", err, "request_id", requestID(r.Context()))
		p = newProblem(http.StatusInternalServerError, api.CodeInternal, "the server failed; quote the request id when reporting it")
	}
	sendProblem(w, r, p.Problem, p.retryAfter)
}

// sendProblem answers with body as problem+json, its instance and request
// id the request's own.
func sendProblem(w http.ResponseWriter, r *http.Request, body api.Problem, retryAfter int) {
	body.Instance = r.URL.Path
	body.RequestID = requestID(r.Context())
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(body.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
