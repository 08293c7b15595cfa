package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const userCols = `id, partner_id, email, first_name, last_name, phone, password_hash IS NOT NULL, access_expires_at,
	last_activity_at, deleted_at, version, created_at, updated_at,
	COALESCE((SELECT json_group_array(role) FROM grants g WHERE g.user_id = users.id), '[]')`

func (s *Server) scanUser(row interface{ Scan(...any) error }) (*api.User, error) {
	var u api.User
	var hasPassword bool
	var expires, activity, deleted sql.NullInt64
	var created, updated int64
	var roles string
	if err := row.Scan(&u.ID, &u.PartnerID, &u.Email, &u.FirstName, &u.LastName, &u.Phone, &hasPassword, &expires,
		&activity, &deleted, &u.Version, &created, &updated, &roles); err != nil {
		return nil, err
	}
	var err error
	if u.Roles, err = decodeJSONList(roles); err != nil {
		return nil, err
	}
	slices.Sort(u.Roles)
	u.AccessExpiresAt, u.LastActivityAt, u.DeletedAt = nullTime(expires), nullTime(activity), nullTime(deleted)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	now := s.now()
	switch {
	case u.DeletedAt != nil:
		u.Status = api.UserDeleted
	case u.AccessExpiresAt != nil && !u.AccessExpiresAt.After(now):
		u.Status = api.UserExpired
	case hasPassword:
		u.Status = api.UserActive
	default:
		u.Status = api.UserInvited
	}
	return &u, nil
}

// loadUser loads a user of the partner (deleted ones too); 404 otherwise.
func (s *Server) loadUser(ctx context.Context, q querier, partnerID, userID string) (*api.User, error) {
	u, err := s.scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ? AND partner_id = ?`, userID, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user " + userID)
	}
	return u, err
}

// rankOf is the highest rank among role keys of a partner.
func rankOf(ctx context.Context, q querier, partnerID string, keys []string) (int, error) {
	rank := 0
	for _, k := range keys {
		ro, err := lookupRole(ctx, q, partnerID, k)
		if err != nil {
			return 0, err
		}
		if ro != nil && ro.Rank > rank {
			rank = ro.Rank
		}
	}
	return rank, nil
}

// checkTarget enforces that an actor changes only accounts ranked below
// itself; owners (and operators) may change any account.
func checkTarget(ctx context.Context, q querier, p *principal, u *api.User) error {
	if p.rank >= api.RankOwner {
		return nil
	}
	rank, err := rankOf(ctx, q, u.PartnerID, u.Roles)
	if err != nil {
		return err
	}
	if rank >= p.rank {
		return newProblem(http.StatusForbidden, api.CodeInsufficientRank,
			"user %s holds a role of rank %d, not below this token's role %q (rank %d); only accounts ranked below the actor can be changed",
			u.ID, rank, p.role, p.rank)
	}
	return nil
}

// checkRoles validates role keys (field is the JSON path of the list) and the
// actor's ceiling for the roles it grants or revokes. It returns the sorted,
// de-duplicated keys.
func checkRoles(ctx context.Context, q querier, p *principal, partnerID, field string, keys []string, changed func(string) bool) ([]string, error) {
	var fe fieldErrors
	var above []api.FieldError
	for i, k := range keys {
		path := field + "[" + itoa(i) + "]"
		ro, err := lookupRole(ctx, q, partnerID, k)
		if err != nil {
			return nil, err
		}
		if ro == nil {
			fe.add(path, "unknown_role", "unknown role %q: built-in roles are owner, admin, manager, member, read_only; custom roles are listed at /v1/partners/%s/roles", k, partnerID)
			continue
		}
		if changed(k) && ro.Rank > p.ceiling() {
			above = append(above, api.FieldError{Field: path, Code: "above_ceiling",
				Message: "role " + k + " (rank " + itoa(ro.Rank) + ") is above what this token may grant"})
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if len(above) > 0 {
		return nil, aboveCeiling(p, above)
	}
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out), nil
}

func aboveCeiling(p *principal, errs []api.FieldError) error {
	ceiling := api.CeilingRole(p.ceiling())
	if ceiling == "" {
		ceiling = "none"
	}
	pr := newProblem(http.StatusForbidden, api.CodeRoleAboveCeiling,
		"this token's role %q may grant roles up to rank %d (%s); %s", p.role, p.ceiling(), ceiling, errs[0].Message)
	pr.Errors, pr.CeilingRank, pr.ActorRole = errs, p.ceiling(), p.role
	return pr
}

// checkRoleChange checks a change of a user's role set from old to next: the
// ceiling for every role added or removed, and the partner's last owner.
func checkRoleChange(ctx context.Context, q querier, p *principal, u *api.User, field string, next []string) ([]string, error) {
	changed := func(k string) bool { return !slices.Contains(u.Roles, k) }
	next, err := checkRoles(ctx, q, p, u.PartnerID, field, next, changed)
	if err != nil {
		return nil, err
	}
	var above []api.FieldError
	for _, k := range u.Roles {
		if slices.Contains(next, k) {
			continue
		}
		ro, err := lookupRole(ctx, q, u.PartnerID, k)
		if err != nil {
			return nil, err
		}
		if ro != nil && ro.Rank > p.ceiling() {
			above = append(above, api.FieldError{Field: field, Code: "above_ceiling",
				Message: "removing role " + k + " (rank " + itoa(ro.Rank) + ") is above what this token may change"})
		}
	}
	if len(above) > 0 {
		return nil, aboveCeiling(p, above)
	}
	if slices.Contains(u.Roles, api.RoleOwner) && !slices.Contains(next, api.RoleOwner) {
		if err := checkNotLastOwner(ctx, q, u); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// checkNotLastOwner refuses a change that leaves the partner with no owner.
func checkNotLastOwner(ctx context.Context, q querier, u *api.User) error {
	var others int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants g JOIN users u ON u.id = g.user_id
		WHERE u.partner_id = ? AND g.role = 'owner' AND u.deleted_at IS NULL AND u.id <> ?`, u.PartnerID, u.ID).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return conflict(api.CodeLastOwner, "user %s is the last owner of partner %s; make someone else owner first", u.ID, u.PartnerID)
	}
	return nil
}

// checkEmailFree answers 409 when a user already has the email, naming the
// holder only when the caller may see it.
func (s *Server) checkEmailFree(ctx context.Context, q querier, p *principal, email, exceptID string) error {
	var id, partnerID string
	var deleted sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, partner_id, deleted_at FROM users WHERE email_norm = ? AND id <> ?`,
		api.NormalizeEmail(email), exceptID).Scan(&id, &partnerID, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	visible := p != nil && (p.operator || p.partnerID == partnerID)
	if deleted.Valid && visible {
		pr := conflict(api.CodeUserDeleted, "email %s belongs to removed user %s; restore it with POST /v1/partners/%s/users/%s/restore", email, id, partnerID, id)
		pr.RestorableUserID = id
		pr.Errors = []api.FieldError{{Field: "email", Code: api.CodeUserDeleted, Message: pr.Detail}}
		return pr
	}
	pr := conflict(api.CodeEmailTaken, "email %s is already a user of the portal (emails are unique across all partners, case-insensitively)", email)
	if visible {
		pr.UserID = id
		pr.Detail = "email " + email + " is already user " + id
	}
	pr.Errors = []api.FieldError{{Field: "email", Code: api.CodeEmailTaken, Message: pr.Detail}}
	return pr
}

func validateUserFields(fe *fieldErrors, email, first, last, phone *string, expires *time.Time, now time.Time) {
	if email != nil && !api.ValidEmail(*email) {
		fe.add("email", "invalid", "%q is not a valid email address", *email)
	}
	for field, v := range map[string]*string{"first_name": first, "last_name": last} {
		if v != nil && len(*v) > 100 {
			fe.add(field, "too_long", "must be at most 100 characters")
		}
	}
	if phone != nil && *phone != "" && !api.ValidPhone(*phone) {
		fe.add("phone", "invalid", "%q is not an E.164 number: a + then the country code and number, 7 to 15 digits, e.g. +14155550123", *phone)
	}
	if expires != nil && !expires.After(now) {
		fe.add("access_expires_at", "in_past", "must be in the future")
	}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermUsersRead); err != nil {
		return err
	}
	q := &query{r: r}
	size := q.pageSize()
	status := q.oneOf("status", api.UserInvited, api.UserActive, api.UserExpired, api.UserDeleted)
	includeDeleted := q.boolean("include_deleted") || status == api.UserDeleted
	after, err := decodeCursor(q.str("page_token"))
	if err := errors.Join(q.err(), err); err != nil {
		return err
	}
	where := []string{"partner_id = ?", "id > ?"}
	args := []any{pt.ID, after}
	if v := q.str("email"); v != "" {
		where, args = append(where, "email_norm = ?"), append(args, api.NormalizeEmail(v))
	}
	if v := q.str("email_domain"); v != "" {
		where, args = append(where, "email_domain = ?"), append(args, strings.ToLower(strings.TrimPrefix(v, "@")))
	}
	if v := q.str("role"); v != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM grants g WHERE g.user_id = users.id AND g.role = ?)"), append(args, v)
	}
	if !includeDeleted {
		where = append(where, "deleted_at IS NULL")
	}
	now := micros(s.now())
	switch status {
	case api.UserDeleted:
		where = append(where, "deleted_at IS NOT NULL")
	case api.UserExpired:
		where, args = append(where, "deleted_at IS NULL AND access_expires_at IS NOT NULL AND access_expires_at <= ?"), append(args, now)
	case api.UserActive, api.UserInvited:
		cond := "password_hash IS NOT NULL"
		if status == api.UserInvited {
			cond = "password_hash IS NULL"
		}
		where = append(where, "deleted_at IS NULL AND (access_expires_at IS NULL OR access_expires_at > ?) AND "+cond)
		args = append(args, now)
	}
	rows, err := s.db.read.QueryContext(r.Context(), `SELECT `+userCols+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, //nolint:gosec // G202: WHERE joins constant conditions; every value is a ? argument.
		append(args, size+1)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := api.UserList{Users: []api.User{}}
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return err
		}
		out.Users = append(out.Users, *u)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(out.Users) > size {
		out.Users = out.Users[:size]
		out.NextPageToken = encodeCursor(out.Users[size-1].ID)
	}
	return sendJSON(w, out, 0)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermUsersRead); err != nil {
		return err
	}
	u, err := s.loadUser(r.Context(), s.db.read, pt.ID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	return sendJSON(w, u, u.Version)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		pt, err := s.partnerFor(ctx, tx, p, r.PathValue("partner_id"))
		if err != nil {
			return nil, err
		}
		if err := p.requireUserAdmin(pt, api.PermUsersManage); err != nil {
			return nil, err
		}
		var in api.UserCreate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		var fe fieldErrors
		validateUserFields(&fe, &in.Email, &in.FirstName, &in.LastName, &in.Phone, in.AccessExpiresAt, s.now())
		if err := fe.err(); err != nil {
			return nil, err
		}
		roles, err := checkRoles(ctx, tx, p, pt.ID, "roles", in.Roles, func(string) bool { return true })
		if err != nil {
			return nil, err
		}
		if err := s.checkEmailFree(ctx, tx, p, in.Email, ""); err != nil {
			return nil, err
		}
		u, err := s.insertUser(ctx, tx, p.actor(), pt.ID, in, roles, "", s.now())
		if err != nil {
			return nil, err
		}
		if err := s.sendPasswordSetup(ctx, tx, u); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, p.actor(), userChange(u, "user.created", nil, u)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: u, version: u.Version, location: "/v1/partners/" + pt.ID + "/users/" + u.ID}, nil
	})
}

func userChange(u *api.User, action string, before, after any) change {
	return change{partnerID: u.PartnerID, action: action, targetType: "user", targetID: u.ID, targetUser: u.ID, before: before, after: after}
}

// insertUser stores a new user with its grants. passwordHash "" makes an
// invited user who sets a password from the emailed link.
func (s *Server) insertUser(ctx context.Context, tx *sql.Tx, actor api.Actor, partnerID string, in api.UserCreate, roles []string, passwordHash string, now time.Time) (*api.User, error) {
	id := newID("usr", now)
	_, domain, _ := strings.Cut(api.NormalizeEmail(in.Email), "@")
	var pw any
	if passwordHash != "" {
		pw = passwordHash
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, partner_id, email, email_norm, email_domain, first_name, last_name, phone, password_hash, access_expires_at, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		id, partnerID, in.Email, api.NormalizeEmail(in.Email), domain, in.FirstName, in.LastName, in.Phone, pw, nullMicros(in.AccessExpiresAt), micros(now), micros(now)); err != nil {
		return nil, err
	}
	for _, k := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants (user_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)`, id, k, micros(now), actor.ID); err != nil {
			return nil, err
		}
	}
	return s.loadUser(ctx, tx, partnerID, id)
}

// userForChange loads a live user the principal may change, checking If-Match.
func (s *Server) userForChange(r *http.Request, tx *sql.Tx, p *principal) (*api.User, error) {
	ctx := r.Context()
	pt, err := s.partnerFor(ctx, tx, p, r.PathValue("partner_id"))
	if err != nil {
		return nil, err
	}
	if err := p.requireUserAdmin(pt, api.PermUsersManage); err != nil {
		return nil, err
	}
	u, err := s.loadUser(ctx, tx, pt.ID, r.PathValue("user_id"))
	if err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		pr := conflict(api.CodeUserDeleted, "user %s was removed; restore it first", u.ID)
		pr.RestorableUserID = u.ID
		return nil, pr
	}
	if err := checkTarget(ctx, tx, p, u); err != nil {
		return nil, err
	}
	return u, checkIfMatch(r, u.Version)
}

// bumpUser increments a user's version after a change.
func (s *Server) bumpUser(ctx context.Context, tx *sql.Tx, u *api.User) (*api.User, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET version = version + 1, updated_at = ? WHERE id = ?`, micros(s.now()), u.ID); err != nil {
		return nil, err
	}
	return s.loadUser(ctx, tx, u.PartnerID, u.ID)
}

// setGrants makes the user's grants exactly roles.
func setGrants(ctx context.Context, tx *sql.Tx, actor api.Actor, u *api.User, roles []string, now time.Time) error {
	for _, k := range u.Roles {
		if !slices.Contains(roles, k) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE user_id = ? AND role = ?`, u.ID, k); err != nil {
				return err
			}
		}
	}
	for _, k := range roles {
		if !slices.Contains(u.Roles, k) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO grants (user_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)`, u.ID, k, micros(now), actor.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		u, err := s.userForChange(r, tx, p)
		if err != nil {
			return nil, err
		}
		var in api.UserUpdate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		var fe fieldErrors
		validateUserFields(&fe, in.Email, in.FirstName, in.LastName, in.Phone, in.AccessExpiresAt, s.now())
		if in.ClearAccessExpiry && in.AccessExpiresAt != nil {
			fe.add("clear_access_expiry", "conflict", "cannot be true together with access_expires_at")
		}
		if err := fe.err(); err != nil {
			return nil, err
		}
		if in.Email != nil {
			if err := s.checkEmailFree(ctx, tx, p, *in.Email, u.ID); err != nil {
				return nil, err
			}
		}
		if in.Roles != nil {
			roles, err := checkRoleChange(ctx, tx, p, u, "roles", *in.Roles)
			if err != nil {
				return nil, err
			}
			if err := setGrants(ctx, tx, p.actor(), u, roles, s.now()); err != nil {
				return nil, err
			}
		}
		next := *u
		if in.Email != nil {
			next.Email = *in.Email
		}
		if in.FirstName != nil {
			next.FirstName = *in.FirstName
		}
		if in.LastName != nil {
			next.LastName = *in.LastName
		}
		if in.Phone != nil {
			next.Phone = *in.Phone
		}
		if in.AccessExpiresAt != nil {
			next.AccessExpiresAt = in.AccessExpiresAt
		}
		if in.ClearAccessExpiry {
			next.AccessExpiresAt = nil
		}
		_, domain, _ := strings.Cut(api.NormalizeEmail(next.Email), "@")
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, email_norm = ?, email_domain = ?, first_name = ?, last_name = ?, phone = ?, access_expires_at = ? WHERE id = ?`,
			next.Email, api.NormalizeEmail(next.Email), domain, next.FirstName, next.LastName, next.Phone, nullMicros(next.AccessExpiresAt), u.ID); err != nil {
			return nil, err
		}
		after, err := s.bumpUser(ctx, tx, u)
		if err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, p.actor(), userChange(u, "user.updated", u, after)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: after, version: after.Version}, nil
	})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, _ []byte) (*reply, error) {
		ctx := r.Context()
		u, err := s.userForChange(r, tx, p)
		var pr *problem
		if errors.As(err, &pr) && pr.Code == api.CodeUserDeleted {
			return nil, notFound("user " + r.PathValue("user_id")) // already removed
		}
		if err != nil {
			return nil, err
		}
		if slices.Contains(u.Roles, api.RoleOwner) {
			if err := checkNotLastOwner(ctx, tx, u); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = ? WHERE id = ?`, micros(s.now()), u.ID); err != nil {
			return nil, err
		}
		after, err := s.bumpUser(ctx, tx, u)
		if err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, p.actor(), userChange(u, "user.deleted", u, after)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusNoContent}, nil
	})
}

func (s *Server) restoreUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, _ []byte) (*reply, error) {
		ctx := r.Context()
		pt, err := s.partnerFor(ctx, tx, p, r.PathValue("partner_id"))
		if err != nil {
			return nil, err
		}
		if err := p.requireUserAdmin(pt, api.PermUsersManage); err != nil {
			return nil, err
		}
		u, err := s.loadUser(ctx, tx, pt.ID, r.PathValue("user_id"))
		if err != nil {
			return nil, err
		}
		if u.DeletedAt == nil {
			return nil, conflict(api.CodeUserNotDeleted, "user %s is not removed", u.ID)
		}
		if err := checkTarget(ctx, tx, p, u); err != nil {
			return nil, err
		}
		if _, err := checkRoles(ctx, tx, p, pt.ID, "roles", u.Roles, func(string) bool { return true }); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = NULL WHERE id = ?`, u.ID); err != nil {
			return nil, err
		}
		after, err := s.bumpUser(ctx, tx, u)
		if err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, p.actor(), userChange(u, "user.restored", u, after)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: after, version: after.Version}, nil
	})
}
