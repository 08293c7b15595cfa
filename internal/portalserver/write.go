package portalserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// reply is what a write handler answers.
type reply struct {
	status   int
	body     any
	version  int64  // sent as ETag when > 0
	location string // sent as Location on 201
}

// storedReply is a reply kept for Idempotency-Key replays.
type storedReply struct {
	ETag     string `json:"etag,omitempty"`
	Location string `json:"location,omitempty"`
}

// write runs fn in one transaction with the change's audit events and, for
// a POST with an Idempotency-Key, the record that replays its answer, so a
// retry after a lost answer can never apply the change twice.
func (s *Server) write(w http.ResponseWriter, r *http.Request, p *principal, fn func(tx *sql.Tx, body []byte) (*reply, error)) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost {
		key = ""
	}
	if key != "" && !validIdempotencyKey(key) {
		return badRequest("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters")
	}
	owner := "public"
	if p != nil {
		owner = p.tokenID
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	fingerprint := hex.EncodeToString(sum[:])

	var (
		status  int
		payload []byte
		hdr     storedReply
		replay  bool
	)
	err = s.db.tx(r.Context(), func(tx *sql.Tx) error {
		if key != "" {
			var request, headers string
			err := tx.QueryRowContext(r.Context(), `SELECT request, status, headers, body FROM idempotency WHERE token_id = ? AND key = ?`, owner, key).
				Scan(&request, &status, &headers, &payload)
			switch {
			case err == nil && request == fingerprint:
				replay = true
				return json.Unmarshal([]byte(headers), &hdr)
			case err == nil:
				return newProblem(http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused,
					"Idempotency-Key %q was used with another request; use a new key for a different request", key)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		rep, err := fn(tx, body)
		if err != nil {
			return err
		}
		status = rep.status
		if rep.body != nil {
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(rep.body); err != nil {
				return err
			}
			payload = buf.Bytes()
		}
		if rep.version > 0 {
			hdr.ETag = etag(rep.version)
		}
		hdr.Location = rep.location
		if key == "" {
			return nil
		}
		headers, _ := json.Marshal(hdr)
		_, err = tx.ExecContext(r.Context(), `INSERT INTO idempotency (token_id, key, request, status, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			owner, key, fingerprint, status, string(headers), payload, micros(s.now()))
		return err
	})
	if err != nil {
		return err
	}
	if hdr.ETag != "" {
		w.Header().Set("ETag", hdr.ETag)
	}
	if hdr.Location != "" {
		w.Header().Set("Location", hdr.Location)
	}
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if len(payload) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(payload)
	return nil
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

// change is one audit event.
type change struct {
	partnerID  string
	action     string
	targetType string
	targetID   string
	targetUser string
	before     any
	after      any
}

// audit records a change with its actor and request id, in the change's transaction.
func (s *Server) audit(ctx context.Context, tx *sql.Tx, actor api.Actor, c change) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	before, err := enc(c.before)
	if err != nil {
		return err
	}
	after, err := enc(c.after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (partner_id, time, actor_type, actor_id, actor_email, action, target_type, target_id, target_user_id, request_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.partnerID, micros(s.now()), actor.Type, actor.ID, api.NormalizeEmail(actor.Email), c.action, c.targetType, c.targetID, c.targetUser,
		requestID(ctx), before, after)
	return err
}

// Cursors are opaque to callers: the last key of the page, encoded.
func encodeCursor(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + last))
}

func decodeCursor(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "v1:") {
		return "", badRequest("page_token", "page_token is not one this server issued")
	}
	return strings.TrimPrefix(string(b), "v1:"), nil
}

func decodeJSONList(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("stored list %q: %w", s, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

func encodeJSONList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
