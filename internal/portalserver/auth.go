package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

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
	perms     map[string]bool // in effect at the partner: less withheld
	// userAdminMin is the partner's user_admin_min_role; withheld are the
	// permissions of the token's roles that it withholds (partner tokens).
	userAdminMin string
	withheld     map[string]bool
}

func (p *principal) actor() api.Actor {
	if p.operator {
		return api.Actor{Type: "operator", ID: p.tokenID}
	}
	return api.Actor{Type: "user", ID: p.userID, Email: p.email}
}

func (p *principal) ceiling() int {
	return api.GrantCeiling(p.rank, func(perm string) bool { return p.perms[perm] })
}

// require checks that the principal holds a permission in effect, naming
// the partner's user_admin_min_role when that is what withholds it.
func (p *principal) require(perm string) error {
	if p.withheld[perm] {
		return forbidden("partner %s lets only %s and above manage users and invites (setting user_admin_min_role); this token's role %q (rank %d) is below it",
			p.partnerID, p.userAdminMin, p.role, p.rank)
	}
	if !p.perms[perm] {
		return forbidden("this token's role %q lacks the permission %s", p.role, perm)
	}
	return nil
}

// partnerFor loads a partner the principal may see and checks it holds perm
// there; a partner it may not see answers 404, so a partner token cannot
// learn that another partner exists. users.manage and invites.manage are
// not held by a token ranked below the partner's user_admin_min_role
// (principalFor withholds them).
func (v *view) partnerFor(p *principal, id, perm string) (*api.Partner, error) {
	if !p.operator && id != p.partnerID {
		return nil, notFound("partner " + id)
	}
	pt, err := v.partner(id)
	if err != nil {
		return nil, err
	}
	return pt, p.require(perm)
}

// authenticate resolves the bearer token, applies the rate limit and passes
// the principal to h.
func (s *Server) authenticate(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, _ *principal) error {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="portal"`)
			return newProblem(http.StatusUnauthorized, api.CodeUnauthenticated, "a bearer API token is required")
		}
		p, err := principalFor(s.view(r), hashSecret(secret))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="portal", error="invalid_token"`)
			return err
		}
		if err := s.limiter.allow(w, p.tokenID); err != nil {
			return err
		}
		s.touch(r, p)
		return h(w, r, p)
	}
}

// principalFor loads the token's principal; a token of a removed or expired
// user no longer authenticates.
func principalFor(v *view, hash string) (*principal, error) {
	p := &principal{perms: map[string]bool{}, withheld: map[string]bool{}}
	var operator int
	var partnerID, userID sql.NullString
	err := v.queryRow(`SELECT id, name, operator, partner_id, user_id FROM tokens WHERE hash = ?`, hash).
		Scan(&p.tokenID, &p.tokenName, &operator, &partnerID, &userID)
	unauthenticated := newProblem(http.StatusUnauthorized, api.CodeUnauthenticated, "the API token is not valid")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauthenticated
	}
	if err != nil {
		return nil, err
	}
	if operator == 1 {
		p.operator = true // holds no role: it outranks them all
		p.rank = api.RankOperator
		for _, perm := range api.AllPermissions {
			p.perms[perm] = true
		}
		return p, nil
	}
	p.partnerID, p.userID = partnerID.String, userID.String
	var deleted, expires sql.NullInt64
	// The partner's user_admin_min_role comes with the user, in one read.
	if err := v.queryRow(`SELECT u.email, u.deleted_at, u.access_expires_at, pa.user_admin_min_role
		FROM users u JOIN partners pa ON pa.id = u.partner_id WHERE u.id = ?`, p.userID).
		Scan(&p.email, &deleted, &expires, &p.userAdminMin); err != nil {
		return nil, unauthenticated
	}
	if deleted.Valid || (expires.Valid && expires.Int64 <= micros(v.now)) {
		return nil, unauthenticated
	}
	roles, err := userRoles(v, p.partnerID, p.userID)
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
	if !api.UserAdminAllowed(p.rank, p.userAdminMin) {
		for _, perm := range api.UserAdminPermissions {
			if p.perms[perm] {
				p.withheld[perm] = true
				delete(p.perms, perm)
			}
		}
	}
	return p, nil
}

// touch records the user's last activity, at most once a minute per user.
// The write waits at most activityWait for its turn (on PostgreSQL it
// queues for a writer slot behind the replica's other changes): a read is
// never held up by queued writes, and an activity not recorded is recorded
// by a request a minute later. It never moves last_activity_at back, which
// a write queued on one replica could do to a newer one of another.
func (s *Server) touch(r *http.Request, p *principal) {
	if p.operator {
		return
	}
	ctx := r.Context()
	now := s.now()
	if !s.activity.due(p.userID, now) {
		s.activity.wait(ctx, p.userID)
		return
	}
	defer s.activity.written(p.userID)
	wctx, cancel := context.WithTimeout(ctx, activityWait)
	defer cancel()
	err := s.db.tx(wctx, "", func(q querier) error {
		_, err := q.ExecContext(wctx, `UPDATE users SET last_activity_at = ? WHERE id = ? AND (last_activity_at IS NULL OR last_activity_at < ?)`,
			micros(now), p.userID, micros(now))
		return err
	})
	switch {
	case err != nil && wctx.Err() != nil && ctx.Err() == nil:
		s.log.InfoContext(ctx, "last activity not recorded: the database's writes are queued", "user_id", p.userID)
	case err != nil:
		s.log.WarnContext(ctx, "recording last activity", "err", err)
	}
}

// activity remembers when each user's last_activity_at was last written, so
// that it is written at most once a minute. An entry older than a minute
// throttles nothing, so sweep drops those: the map holds only the users
// active within the last minute, and never more than maxActivity (when more
// than half of that is live it starts again empty, which costs some extra
// writes, never a wrong time).
//
// A write is in flight from due until written, and a request of the same
// user waits for it (at most activityWait): otherwise a listing answered beside the request that
// writes could show the user without the activity that a read right after
// shows, and a plan would show a change nobody made.
type activity struct {
	mu        sync.Mutex
	last      map[string]time.Time
	writing   map[string]chan struct{}
	nextSweep int
}

// maxActivity caps the users activity remembers.
const maxActivity = 100_000

func newActivity() *activity {
	return &activity{last: map[string]time.Time{}, writing: map[string]chan struct{}{}, nextSweep: minSweep}
}

// due says whether the user's activity at now is to be written, and if so
// remembers it.
func (a *activity) due(userID string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	last, seen := a.last[userID]
	if _, inFlight := a.writing[userID]; inFlight || seen && now.Sub(last) < time.Minute && now.After(last) {
		return false
	}
	if !seen && len(a.last) >= a.nextSweep {
		a.nextSweep = sweep(a.last, maxActivity, func(t time.Time) bool {
			return now.Sub(t) >= time.Minute || t.After(now) // throttles nothing any more
		})
	}
	a.last[userID] = now
	a.writing[userID] = make(chan struct{})
	return true
}

// written ends the write that due started.
func (a *activity) written(userID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ch, ok := a.writing[userID]; ok {
		close(ch)
		delete(a.writing, userID)
	}
}

// activityWait bounds how long a request waits for its user's activity
// write: that write queues with the partner's other writes, and a read must
// not wait for those when they are held up.
const activityWait = time.Second

// wait returns when no write of the user's activity is in flight, when ctx
// ends, or after activityWait.
func (a *activity) wait(ctx context.Context, userID string) {
	a.mu.Lock()
	ch := a.writing[userID]
	a.mu.Unlock()
	if ch == nil {
		return
	}
	timer := time.NewTimer(activityWait)
	defer timer.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-timer.C:
	}
}

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, p *principal) error {
	me := api.Me{
		Kind: api.KindPartner, TokenID: p.tokenID, TokenName: p.tokenName, UserID: p.userID, Email: p.email,
		PartnerID: p.partnerID, Role: p.role, Rank: p.rank, Permissions: []string{},
		CeilingRank: p.ceiling(), CeilingRole: api.CeilingRole(p.ceiling()), UserAdminMinRole: p.userAdminMin,
	}
	if p.operator {
		me.Kind = api.KindOperator
	}
	for _, perm := range api.AllPermissions {
		if p.perms[perm] {
			me.Permissions = append(me.Permissions, perm)
		}
		if p.withheld[perm] {
			me.WithheldPermissions = append(me.WithheldPermissions, perm)
		}
	}
	return sendJSON(w, me, 0)
}
