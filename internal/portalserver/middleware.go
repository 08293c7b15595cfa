package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// observe gives every request an id, recovers panics into a 500, writes the
// access log and counts the request in /metrics by route and status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRe.MatchString(id) {
			id = newID("req", start)
		}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.writeProblem(rec, r, fmt.Errorf("panic: %v", v))
			}
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			s.metrics.observe(route, rec.status, elapsed)
			s.log.InfoContext(r.Context(), "request",
				"method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000, "request_id", id,
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(rec, r)
	})
}

// principal is who a token is.
type principal struct {
	tokenID   string
	tokenName string
	operator  bool
	userID    string
	email     string
	partnerID string
	role      string // highest role held
	rank      int
	perms     map[string]bool
}

func (p *principal) actor() api.Actor {
	if p.operator {
		return api.Actor{Type: "operator", ID: p.tokenID}
	}
	return api.Actor{Type: "user", ID: p.userID, Email: p.email}
}

func (p *principal) ceiling() int { return api.CeilingRank(p.rank) }

// authenticate resolves the bearer token, applies the rate limit and passes
// the principal to h.
func (s *Server) authenticate(h func(w http.ResponseWriter, r *http.Request, p *principal) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="portal"`)
			return newProblem(http.StatusUnauthorized, api.CodeUnauthenticated, "a bearer API token is required")
		}
		p, err := s.principalFor(r.Context(), s.db.read, hashSecret(secret))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="portal", error="invalid_token"`)
			return err
		}
		if err := s.limiter.allow(w, p.tokenID); err != nil {
			return err
		}
		s.touch(r.Context(), p)
		return h(w, r, p)
	}
}

// principalFor loads the token's principal; a token of a removed or expired
// user no longer authenticates.
func (s *Server) principalFor(ctx context.Context, q querier, hash string) (*principal, error) {
	p := &principal{perms: map[string]bool{}}
	var operator int
	var partnerID, userID sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, name, operator, partner_id, user_id FROM tokens WHERE hash = ?`, hash).
		Scan(&p.tokenID, &p.tokenName, &operator, &partnerID, &userID)
	unauthenticated := newProblem(http.StatusUnauthorized, api.CodeUnauthenticated, "the API token is not valid")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauthenticated
	}
	if err != nil {
		return nil, err
	}
	if operator == 1 {
		p.operator = true
		p.role = api.RoleOwner
		p.rank = api.RankOperator
		for _, perm := range api.AllPermissions {
			p.perms[perm] = true
		}
		return p, nil
	}
	p.partnerID, p.userID = partnerID.String, userID.String
	var deleted, expires sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT email, deleted_at, access_expires_at FROM users WHERE id = ?`, p.userID).
		Scan(&p.email, &deleted, &expires); err != nil {
		return nil, unauthenticated
	}
	if deleted.Valid || (expires.Valid && expires.Int64 <= micros(s.now())) {
		return nil, unauthenticated
	}
	roles, err := userRoles(ctx, q, p.partnerID, p.userID)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.Rank > p.rank {
			p.rank, p.role = r.Rank, r.Key
		}
		for _, perm := range r.Permissions {
			p.perms[perm] = true
		}
	}
	return p, nil
}

// touch records the user's last activity, at most once a minute per user.
func (s *Server) touch(ctx context.Context, p *principal) {
	if p.operator {
		return
	}
	now := s.now()
	s.activityMu.Lock()
	last, seen := s.activity[p.userID]
	if seen && now.Sub(last) < time.Minute && now.After(last) {
		s.activityMu.Unlock()
		return
	}
	s.activity[p.userID] = now
	s.activityMu.Unlock()
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET last_activity_at = ? WHERE id = ?`, micros(now), p.userID)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "recording last activity", "err", err)
	}
}
