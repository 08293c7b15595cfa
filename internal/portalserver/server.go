// Package portalserver is portald, the reference implementation of Portal API
// v1 (internal/api/openapi.yaml): net/http handlers, the portal's rules and
// storage in SQLite or PostgreSQL.
package portalserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// Config configures a Server.
type Config struct {
	// DBPath is the database: a SQLite file, or a PostgreSQL URL
	// (postgres://user@host/db) that several portald may share. It is
	// created (a file) and migrated at Open.
	DBPath string
	// Dev exposes the mail outbox and the test clock under /v1/dev.
	Dev bool
	// RateLimit is the sustained requests per second allowed per token; 0 turns limiting off.
	RateLimit float64
	// RateBurst is how many requests a token may make at once; default 2 × RateLimit.
	RateBurst int
	// PublicRateLimit is the sustained requests per second allowed on the
	// public routes that take an emailed token (POST /v1/invites/accept and
	// POST /v1/password-setup), per client address and, separately, per
	// prefix of the presented token (its first 12 characters). On even when
	// RateLimit is off: 0 is the default, 0.2 (one each 5 s); negative turns
	// it off.
	PublicRateLimit float64
	// PublicRateBurst is how many such requests may come at once; default 10.
	PublicRateBurst int
	// TrustForwardedFor counts a public request against the last address of
	// X-Forwarded-For instead of the connection's: for a portald behind a
	// reverse proxy that appends it. Off, a client cannot choose its address.
	TrustForwardedFor bool
	// PublicURL is the base of links in mails; default http://127.0.0.1:8080.
	PublicURL string
	// Logger receives the access log and errors; default discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now. The dev test clock adds its offset to it.
	Now func() time.Time
}

// Server serves Portal API v1.
type Server struct {
	cfg     Config
	db      *store
	log     *slog.Logger
	limiter *rateLimiter
	public  *publicLimiter // nil when off
	metrics *metrics
	handler http.Handler

	activity *activity // when each user's last_activity_at was last written
}

// Open opens (creating and migrating) the database and builds the server.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DBPath == "" {
		return nil, fmt.Errorf("a database path is required")
	}
	if cfg.RateLimit < 0 || cfg.RateBurst < 0 {
		return nil, fmt.Errorf("the rate limit and burst must be 0 (off, default) or positive, not %g and %d", cfg.RateLimit, cfg.RateBurst)
	}
	if math.IsNaN(cfg.PublicRateLimit) || math.IsInf(cfg.PublicRateLimit, 0) || cfg.PublicRateBurst < 0 {
		return nil, fmt.Errorf("the public rate limit must be a number (0 default, negative off) and its burst 0 (default) or positive, not %g and %d",
			cfg.PublicRateLimit, cfg.PublicRateBurst)
	}
	if cfg.PublicRateLimit == 0 {
		cfg.PublicRateLimit = defaultPublicRate
	}
	if cfg.PublicRateBurst == 0 {
		cfg.PublicRateBurst = defaultPublicBurst
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://127.0.0.1:8080"
	}
	db, err := openStore(ctx, cfg.DBPath, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", RedactDB(cfg.DBPath), err)
	}
	s := &Server{
		cfg:      cfg,
		db:       db,
		log:      cfg.Logger,
		limiter:  newRateLimiter(cfg.RateLimit, cfg.RateBurst),
		public:   newPublicLimiter(cfg.PublicRateLimit, cfg.PublicRateBurst, cfg.TrustForwardedFor),
		metrics:  newMetrics(&db.retries),
		activity: newActivity(),
	}
	s.handler = s.routes()
	return s, nil
}

// Close closes the database.
func (s *Server) Close() error { return s.db.Close() }

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// now is the portal's clock: real time plus, with --dev, the test clock's
// offset (dev.go), truncated to microseconds, the stored precision.
func (s *Server) now() time.Time {
	return s.clock(context.Background(), s.db.reader())
}

// clock is now, reading the test clock's offset through q: a transaction
// reads it through its own connection, not a second one from the pool.
func (s *Server) clock(ctx context.Context, q querier) time.Time {
	var offset time.Duration
	if s.cfg.Dev {
		offset = s.clockOffset(ctx, q)
	}
	return s.cfg.Now().Add(offset).UTC().Truncate(time.Microsecond)
}

// view is a read view of the portal for one request.
func (s *Server) view(r *http.Request) *view {
	q := s.db.reader()
	return &view{ctx: r.Context(), q: q, now: s.clock(r.Context(), q)}
}

// ready answers a load balancer's readiness check: 200 when the database
// answers and holds the schema this portald needs, 503 otherwise, so that
// traffic goes to the replicas that can serve it.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handler serves one route; p is nil on the public and dev routes.
type handler func(w http.ResponseWriter, r *http.Request, p *principal) error

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	public := func(pattern string, h handler) {
		mux.Handle(pattern, s.serve(readRequest(s.idempotent(h))))
	}
	authed := func(pattern string, h handler) {
		mux.Handle(pattern, s.serve(s.authenticate(readRequest(s.idempotent(h)))))
	}
	// The public routes that take an emailed token are rate limited by
	// client address and by token prefix: no API token names a bucket.
	emailedToken := func(pattern string, h handler) {
		mux.Handle(pattern, s.serve(s.public.limitAddress(readRequest(s.public.limitTokenPrefix(s.idempotent(h))))))
	}

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(api.OpenAPI)
	})

	authed("GET /v1/me", s.getMe)
	authed("GET /v1/partners", s.listPartners)
	authed("POST /v1/partners", s.createPartner)
	authed("GET /v1/partners/{partner_id}", s.getPartner)
	authed("PATCH /v1/partners/{partner_id}", s.updatePartner)

	authed("GET /v1/partners/{partner_id}/roles", s.listRoles)
	authed("POST /v1/partners/{partner_id}/roles", s.createRole)
	authed("GET /v1/partners/{partner_id}/roles/{role_key}", s.getRole)
	authed("PATCH /v1/partners/{partner_id}/roles/{role_key}", s.updateRole)
	authed("DELETE /v1/partners/{partner_id}/roles/{role_key}", s.deleteRole)

	authed("GET /v1/partners/{partner_id}/users", s.listUsers)
	authed("POST /v1/partners/{partner_id}/users", s.createUser)
	authed("POST /v1/partners/{partner_id}/users/batch", s.batchUsers)
	authed("GET /v1/partners/{partner_id}/users/{user_id}", s.getUser)
	authed("PATCH /v1/partners/{partner_id}/users/{user_id}", s.updateUser)
	authed("DELETE /v1/partners/{partner_id}/users/{user_id}", s.deleteUser)
	authed("POST /v1/partners/{partner_id}/users/{user_id}/restore", s.restoreUser)
	authed("POST /v1/partners/{partner_id}/users/{user_id}/password-reset", s.resetPassword)

	authed("GET /v1/partners/{partner_id}/users/{user_id}/roles", s.listGrants)
	authed("PUT /v1/partners/{partner_id}/users/{user_id}/roles", s.replaceGrants)
	authed("PUT /v1/partners/{partner_id}/users/{user_id}/roles/{role_key}", s.grantRole)
	authed("DELETE /v1/partners/{partner_id}/users/{user_id}/roles/{role_key}", s.revokeRole)

	authed("GET /v1/partners/{partner_id}/invites", s.listInvites)
	authed("POST /v1/partners/{partner_id}/invites", s.createInvite)
	authed("POST /v1/partners/{partner_id}/invites/batch", s.createInviteBatch)
	authed("GET /v1/partners/{partner_id}/invites/{invite_id}", s.getInvite)
	authed("PATCH /v1/partners/{partner_id}/invites/{invite_id}", s.updateInvite)
	authed("POST /v1/partners/{partner_id}/invites/{invite_id}/resend", s.resendInvite)
	authed("POST /v1/partners/{partner_id}/invites/{invite_id}/revoke", s.revokeInvite)

	authed("POST /v1/partners/{partner_id}/tokens", s.createToken)
	authed("GET /v1/partners/{partner_id}/audit-events", s.listAuditEvents)

	emailedToken("POST /v1/invites/accept", s.acceptInvite)
	emailedToken("POST /v1/password-setup", s.setupPassword)

	if s.cfg.Dev {
		public("GET /v1/dev/outbox", s.getOutbox)
		public("GET /v1/dev/clock", s.getClock)
		public("POST /v1/dev/clock/advance", s.advanceClock)
	}
	mux.Handle("/", s.serve(s.unmatched(mux)))
	return s.observe(mux)
}

// unmatched answers what no route serves: 405 method_not_allowed, with
// Allow, when the path has routes for other methods, 404 otherwise. With a
// valid token it counts against the token's rate limit and carries the
// RateLimit headers, as every authenticated answer does.
func (s *Server) unmatched(mux *http.ServeMux) handler {
	return func(w http.ResponseWriter, r *http.Request, _ *principal) error {
		if secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && secret != "" {
			if p, err := principalFor(s.view(r), hashSecret(secret)); err == nil {
				if err := s.limiter.allow(w, p.tokenID); err != nil {
					return err
				}
			}
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
				if m == http.MethodGet {
					allow = append(allow, http.MethodHead)
				}
			}
		}
		if len(allow) == 0 {
			return notFound("route " + r.Method + " " + r.URL.Path)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return newProblem(http.StatusMethodNotAllowed, api.CodeMethodNotAllowed,
			"%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", "))
	}
}

// serve turns a handler's error into a problem answer.
func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r, nil); err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

// minSweep is the size below which sweep is not worth it.
const minSweep = 1024

// sweep keeps a map of per-token or per-user state within limit entries:
// it drops the stale ones, empties the map when more than half the limit is
// still live, and returns the size at which to sweep next, twice what is
// left (at least minSweep): so the map never exceeds limit, and sweeping
// costs O(1) per entry added.
func sweep[V any](m map[string]V, limit int, stale func(V) bool) int {
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	if len(m) > limit/2 {
		clear(m)
	}
	return max(minSweep, 2*len(m))
}

// newID returns a prefixed id that sorts by creation time.
func newID(prefix string, now time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%013x%s", prefix, now.UnixMicro(), hex.EncodeToString(b[:]))
}

// newSecret returns a random secret with a readable prefix.
func newSecret(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// hashSecret is how tokens are stored: never in the clear.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
