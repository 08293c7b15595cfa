package portalserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// maxBodyBytes is the largest request body the server reads.
const maxBodyBytes = 1 << 20

type bodyKey struct{}

// readRequest checks the request's own syntax and reads its body, at most
// maxBodyBytes, before the handler runs: decode and the Idempotency-Key
// record both use the body.
func readRequest(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		if err := checkIfMatchSyntax(r); err != nil {
			return err
		}
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			return h(w, r, p)
		}
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return newProblem(http.StatusRequestEntityTooLarge, api.CodeBodyTooLarge, "request body exceeds %d bytes", maxBodyBytes)
		}
		if err != nil {
			return badRequest("", "reading request body: %v", err)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, body)), p)
	}
}

// bodyOf is the body readRequest read.
func bodyOf(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey{}).([]byte)
	return b
}

// decode decodes the request body, one JSON object, into v, refusing unknown
// fields, wrong types and trailing data.
func decode(r *http.Request, v any) error { return decodeBody(r, v, false) }

// decodeOptional is decode for a body the route may go without.
func decodeOptional(r *http.Request, v any) error { return decodeBody(r, v, true) }

func decodeBody(r *http.Request, v any, optional bool) error {
	body := bodyOf(r)
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("", "request body is required")
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			ct = "absent"
		}
		return newProblem(http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia, "Content-Type must be application/json, not %s", ct)
	}
	// encoding/json would replace invalid UTF-8 by U+FFFD and store that.
	if !utf8.Valid(body) {
		return badRequest("", "request body is not valid UTF-8 (byte %d)", invalidUTF8At(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "request body must hold exactly one JSON object")
	}
	return nil
}

// invalidUTF8At is the offset of the first byte of b that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonProblem names the field a decoding error is about.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return badRequest(typeErr.Field, "field %q must be %s, not %s", typeErr.Field, typeErr.Type.String(), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return badRequest("", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(field, "unknown field %q", field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: unexpected end of body")
	default:
		// time.Time and other values that fail their own UnmarshalJSON.
		return badRequest("", "malformed request body: %v", err)
	}
}

// query reads the query parameters of list routes.
type query struct {
	r    *http.Request
	errs fieldErrors
}

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

func (q *query) boolean(name string) bool {
	v := q.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.errs.add(name, api.FieldInvalid, "must be true or false")
	}
	return b
}

func (q *query) time(name string) *time.Time {
	v := q.str(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.errs.add(name, api.FieldInvalid, "must be an RFC 3339 time")
		return nil
	}
	checkMicros(&q.errs, name, &t)
	return &t
}

// seconds is a duration given as a whole number of seconds, at least 1; 0
// when absent.
func (q *query) seconds(name string) time.Duration {
	v := q.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt64/int64(time.Second) {
		q.errs.add(name, api.FieldInvalid, "must be a whole number of seconds, at least 1")
		return 0
	}
	return time.Duration(n) * time.Second
}

func (q *query) pageSize() int {
	v := q.str("page_size")
	if v == "" {
		return 100
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		q.errs.add("page_size", api.FieldInvalid, "must be a whole number from 1 to 500")
		return 100
	}
	return n
}

func (q *query) oneOf(name string, allowed ...string) string {
	v := q.str(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.errs.add(name, api.FieldInvalid, "must be one of %s", strings.Join(allowed, ", "))
	return ""
}

// err reports bad query parameters as a 400.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	p := badRequest(q.errs[0].Field, "invalid query parameter %s: %s", q.errs[0].Field, q.errs[0].Message)
	p.Errors = q.errs
	return p
}
