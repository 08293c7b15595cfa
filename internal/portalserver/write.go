package portalserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// A handler that changes something runs in three steps: it authorizes the
// principal and decodes and validates the body against a read view, then
// calls write, whose transaction holds the write lock only for what must
// see the latest state: the checks against it, the change and its audit.

// reply is what a change answers.
type reply struct {
	status   int
	body     any
	version  int64  // sent as ETag when > 0
	location string // sent as Location on 201
}

func replyOK(body any, version int64) *reply {
	return &reply{status: http.StatusOK, body: body, version: version}
}

func replyCreated(body any, version int64, location string) *reply {
	return &reply{status: http.StatusCreated, body: body, version: version, location: location}
}

func replyNoContent() *reply { return &reply{status: http.StatusNoContent} }

// patch sets *field to *value when the request gave a value: a PATCH leaves
// out what it does not change.
func patch[T any](field, value *T) {
	if value != nil {
		*field = *value
	}
}

// answer is a reply as sent, and as kept to replay for an Idempotency-Key.
type answer struct {
	status   int
	header   storedHeader
	body     []byte
	replayed bool
}

// storedHeader is the part of an answer's header a replay repeats.
type storedHeader struct {
	ETag     string `json:"etag,omitempty"`
	Location string `json:"location,omitempty"`
	// Problem marks a problem answer: its body is the problem without
	// instance and request_id, which a replay fills in as its own.
	Problem bool `json:"problem,omitempty"`
}

func (rep *reply) answer() (*answer, error) {
	a := &answer{status: rep.status, header: storedHeader{Location: rep.location}}
	if rep.version > 0 {
		a.header.ETag = etag(rep.version)
	}
	if rep.body != nil {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(rep.body); err != nil {
			return nil, err
		}
		a.body = buf.Bytes()
	}
	return a, nil
}

func (a *answer) send(w http.ResponseWriter, r *http.Request) {
	if a.header.Problem {
		var p api.Problem
		if err := json.Unmarshal(a.body, &p); err == nil {
			w.Header().Set("Idempotent-Replayed", "true")
			sendProblem(w, r, p, 0)
			return
		}
	}
	if a.header.ETag != "" {
		w.Header().Set("ETag", a.header.ETag)
	}
	if a.header.Location != "" {
		w.Header().Set("Location", a.header.Location)
	}
	if a.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if len(a.body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body) //nolint:gosec // G705: JSON this server encoded, sent as application/json, not HTML.
}

// write runs fn, a change, in one transaction with its audit events and, for
// a POST with an Idempotency-Key, the record that replays its answer, so a
// retry after a lost answer can never apply the change twice.
func (s *Server) write(w http.ResponseWriter, r *http.Request, fn func(v *view) (*reply, error)) error {
	id, _ := r.Context().Value(idempotencyKey{}).(*idempotency)
	var ans *answer
	err := s.db.tx(r.Context(), r.PathValue("partner_id"), func(q querier) error {
		v := &view{ctx: r.Context(), q: q, now: s.clock(r.Context(), q)}
		if id != nil {
			// The same request may have committed since idempotent looked.
			stored, err := id.lookup(v)
			if err != nil || stored != nil {
				ans = stored
				return err
			}
		}
		rep, err := fn(v)
		if err != nil {
			return err
		}
		if ans, err = rep.answer(); err != nil || id == nil {
			return err
		}
		return s.storeAnswer(v, id, ans)
	})
	if err != nil {
		return err
	}
	ans.send(w, r)
	return nil
}

// idempotencyTTL is how long an Idempotency-Key is kept.
const idempotencyTTL = 24 * time.Hour

// idempotency is a POST's Idempotency-Key and what it was used for: the
// token ("public" on the public routes) and a digest of method, path and body.
type idempotency struct {
	owner, key, request string
}

type idempotencyKey struct{}

// idempotent answers a POST whose Idempotency-Key this token used in the
// last 24 hours: with the first answer again for the same request, 422 for
// another one. A new key goes with the request to write, which records the
// answer of the change; an error answer is kept too (keepProblem), except a
// 5xx or a 429: the request changed nothing, and a retry runs it again.
func (s *Server) idempotent(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			return h(w, r, p)
		}
		if !validIdempotencyKey(key) {
			return badRequest("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters")
		}
		id := &idempotency{owner: "public", key: key}
		if p != nil {
			id.owner = p.tokenID
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), bodyOf(r)...))
		id.request = hex.EncodeToString(sum[:])
		stored, err := id.lookup(s.view(r))
		if err != nil {
			return err
		}
		if stored != nil {
			stored.send(w, r)
			return nil
		}
		err = h(w, r.WithContext(context.WithValue(r.Context(), idempotencyKey{}, id)), p)
		var pr *problem
		if err == nil || !errors.As(err, &pr) || pr.Status >= 500 || pr.Status == http.StatusTooManyRequests ||
			pr.Code == api.CodeIdempotencyKeyReused {
			return err
		}
		stored, kerr := s.keepProblem(r, id, pr)
		switch {
		case kerr != nil && errors.As(kerr, new(*problem)):
			return kerr // 422: a concurrent request took the key for another request
		case kerr != nil:
			s.log.WarnContext(r.Context(), "keeping an error answer for its Idempotency-Key", "err", kerr, "request_id", requestID(r.Context()))
		case stored != nil:
			stored.send(w, r) // a concurrent duplicate answered first
			return nil
		}
		return err
	}
}

// keepProblem keeps an error answer for the key, so that a retry gets it
// again instead of running the request once more. When a concurrent
// duplicate kept its answer first, that answer is returned, to be sent
// instead: every request with one key gets one answer.
func (s *Server) keepProblem(r *http.Request, id *idempotency, pr *problem) (*answer, error) {
	body := pr.Problem
	body.Instance, body.RequestID = "", ""
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	a := &answer{status: pr.Status, header: storedHeader{Problem: true}, body: b}
	var stored *answer
	err = s.db.tx(r.Context(), r.PathValue("partner_id"), func(q querier) error {
		v := &view{ctx: r.Context(), q: q, now: s.clock(r.Context(), q)}
		var err error
		if stored, err = id.lookup(v); err != nil || stored != nil {
			return err
		}
		return s.storeAnswer(v, id, a)
	})
	return stored, err
}

// storeAnswer keeps the answer for the key and, at most once an hour (per
// replica), deletes the keys that have expired. It runs in a write
// transaction.
func (s *Server) storeAnswer(v *view, id *idempotency, a *answer) error {
	if s.db.pruneDue(v.now) {
		if err := v.exec(`DELETE FROM idempotency WHERE created_at <= ?`, micros(v.now.Add(-idempotencyTTL))); err != nil {
			return err
		}
	}
	return id.store(v, a)
}

// lookup returns the answer kept for the key, nil when there is none or
// it is older than idempotencyTTL.
func (id *idempotency) lookup(v *view) (*answer, error) {
	var request, header string
	a := &answer{replayed: true}
	err := v.queryRow(`SELECT request, status, headers, body FROM idempotency WHERE token_id = ? AND key = ? AND created_at > ?`,
		id.owner, id.key, micros(v.now.Add(-idempotencyTTL))).
		Scan(&request, &a.status, &header, &a.body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case request != id.request:
		return nil, newProblem(http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused,
			"Idempotency-Key %q was used with another request; use a new key for a different request", id.key)
	}
	return a, json.Unmarshal([]byte(header), &a.header)
}

// store keeps the answer for the key, in the change's transaction; it
// replaces an expired record of the key (lookup found none that is live).
func (id *idempotency) store(v *view, a *answer) error {
	header, err := json.Marshal(a.header)
	if err != nil {
		return err
	}
	return v.exec(`INSERT INTO idempotency (token_id, key, request, status, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (token_id, key) DO UPDATE SET request = excluded.request, status = excluded.status, headers = excluded.headers,
		body = excluded.body, created_at = excluded.created_at`,
		id.owner, id.key, id.request, a.status, string(header), a.body, micros(v.now))
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// entityTagRe is one entity tag (RFC 9110 section 8.8.3), strong or weak.
var entityTagRe = regexp.MustCompile(`^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$`)

// checkIfMatchSyntax answers 400 for an If-Match on a change that is
// neither * nor a list of entity tags: "garbage" names no version, so it is
// a malformed request, not a stale one.
func checkIfMatchSyntax(r *http.Request) error {
	im, sent := r.Header["If-Match"]
	if !sent || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	value := strings.TrimSpace(strings.Join(im, ","))
	if value == "*" {
		return nil
	}
	tags := 0
	for _, tag := range strings.Split(value, ",") {
		if tag = strings.TrimSpace(tag); tag == "" {
			continue // an empty list element
		}
		if !entityTagRe.MatchString(tag) {
			return badRequest("If-Match", "If-Match must be * or entity tags such as \"3\" (the ETag as sent, quotes included), not %s", value)
		}
		tags++
	}
	if tags == 0 {
		return badRequest("If-Match", "If-Match must be * or entity tags such as \"3\", not empty")
	}
	return nil
}

// checkIfMatch answers 412 when the request names a version other than the current one.
func checkIfMatch(r *http.Request, version int64) error {
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" || im == "*" {
		return nil
	}
	for _, v := range strings.Split(im, ",") {
		if strings.TrimPrefix(strings.TrimSpace(v), "W/") == etag(version) {
			return nil
		}
	}
	return newProblem(http.StatusPreconditionFailed, api.CodePreconditionFailed,
		"the object changed since it was read: If-Match %s, current version %s; read it again and retry", im, etag(version))
}

// sendJSON answers a read with an optional ETag.
func sendJSON(w http.ResponseWriter, v any, version int64) error {
	if version > 0 {
		w.Header().Set("ETag", etag(version))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
