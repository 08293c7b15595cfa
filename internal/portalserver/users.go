package portalserver

import (
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const userCols = `id, partner_id, email, first_name, last_name, phone, password_hash IS NOT NULL, access_expires_at,
	last_activity_at, deleted_at, version, created_at, updated_at,
	COALESCE((SELECT string_agg(role, ' ') FROM grants g WHERE g.user_id = users.id), '')`

// scanUser reads a user; its status depends on the time now.
func scanUser(row scanner, now time.Time) (api.User, error) {
	var u api.User
	var hasPassword bool
	var expires, activity, deleted sql.NullInt64
	var created, updated int64
	var phone, roles string
	if err := row.Scan(&u.ID, &u.PartnerID, &u.Email, &u.FirstName, &u.LastName, &phone, &hasPassword, &expires,
		&activity, &deleted, &u.Version, &created, &updated, &roles); err != nil {
		return u, err
	}
	if phone != "" { // the column holds "" for no phone (NOT NULL since 0001); the API answers null
		u.Phone = &phone
	}
	u.Roles = append([]string{}, strings.Fields(roles)...) // role keys hold no space (api.ValidRoleKey)
	slices.Sort(u.Roles)
	u.AccessExpiresAt, u.LastActivityAt, u.DeletedAt = nullTime(expires), nullTime(activity), nullTime(deleted)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
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
	return u, nil
}

// user loads a user of the partner (removed ones too); 404 otherwise.
func (v *view) user(partnerID, userID string) (*api.User, error) {
	u, err := scanUser(v.queryRow(`SELECT `+userCols+` FROM users WHERE id = ? AND partner_id = ?`, userID, partnerID), v.now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user " + userID)
	}
	return &u, err
}

// rankOf is the highest rank among role keys of a partner.
func rankOf(v *view, partnerID string, keys []string) (int, error) {
	rank := 0
	for _, k := range keys {
		ro, err := v.role(partnerID, k)
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
func checkTarget(v *view, p *principal, u *api.User) error {
	if p.rank >= api.RankOwner {
		return nil
	}
	rank, err := rankOf(v, u.PartnerID, u.Roles)
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

// grantedAll is checkRoles' changed for a new user: it grants every key.
func grantedAll(string) bool { return true }

// checkRoles validates role keys (field is the JSON path of the list) and the
// actor's ceiling for the roles it grants (changed). It returns the sorted,
// de-duplicated keys.
func checkRoles(v *view, p *principal, partnerID, field string, keys []string, changed func(string) bool) ([]string, error) {
	var fe fieldErrors
	var above []api.FieldError
	for i, k := range keys {
		path := field + "[" + strconv.Itoa(i) + "]"
		ro, err := v.role(partnerID, k)
		if err != nil {
			return nil, err
		}
		if ro == nil {
			unknownRole(&fe, path, k, partnerID)
			continue
		}
		if changed(k) && ro.Rank > p.ceiling() {
			above = append(above, api.FieldError{Field: path, Code: api.FieldAboveCeiling,
				Message: "role " + k + " (rank " + strconv.Itoa(ro.Rank) + ") is above what this token may grant"})
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

func unknownRole(fe *fieldErrors, path, key, partnerID string) {
	fe.add(path, api.FieldUnknownRole, "unknown role %q: built-in roles are owner, admin, manager, member, read_only; custom roles are listed at /v1/partners/%s/roles", key, partnerID)
}

// checkRoleKeys adds a field error for each key that names no role of the
// partner, so that one answer reports every bad field of a request. The
// change's transaction checks the keys again, with the ceiling (checkRoles).
func checkRoleKeys(v *view, fe *fieldErrors, partnerID, field string, keys []string) error {
	for i, k := range keys {
		ro, err := v.role(partnerID, k)
		if err != nil {
			return err
		}
		if ro == nil {
			unknownRole(fe, field+"["+strconv.Itoa(i)+"]", k, partnerID)
		}
	}
	return nil
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

// checkRoleChange checks a change of a user's role set to next: the ceiling
// for every role added or removed, and the partner's last owner.
func checkRoleChange(v *view, p *principal, u *api.User, field string, next []string) ([]string, error) {
	added := func(k string) bool { return !slices.Contains(u.Roles, k) }
	next, err := checkRoles(v, p, u.PartnerID, field, next, added)
	if err != nil {
		return nil, err
	}
	var above []api.FieldError
	for _, k := range u.Roles {
		if slices.Contains(next, k) {
			continue
		}
		ro, err := v.role(u.PartnerID, k)
		if err != nil {
			return nil, err
		}
		if ro != nil && ro.Rank > p.ceiling() {
			above = append(above, api.FieldError{Field: field, Code: api.FieldAboveCeiling,
				Message: "removing role " + k + " (rank " + strconv.Itoa(ro.Rank) + ") is above what this token may change"})
		}
	}
	if len(above) > 0 {
		return nil, aboveCeiling(p, above)
	}
	if slices.Contains(u.Roles, api.RoleOwner) && !slices.Contains(next, api.RoleOwner) {
		if err := checkNotLastOwner(v, u); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// checkNotLastOwner refuses a change that leaves the partner with no owner.
func checkNotLastOwner(v *view, u *api.User) error {
	var others int
	if err := v.queryRow(`SELECT COUNT(*) FROM grants g JOIN users u ON u.id = g.user_id
		WHERE u.partner_id = ? AND g.role = 'owner' AND u.deleted_at IS NULL AND u.id <> ?`, u.PartnerID, u.ID).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return conflict(api.CodeLastOwner, "user %s is the last owner of partner %s; make someone else owner first", u.ID, u.PartnerID)
	}
	return nil
}

// checkEmailFree answers 409 when a user already has the email, naming the
// holder only when the caller (nil on the public routes) may see it.
func checkEmailFree(v *view, p *principal, email, exceptID string) error {
	var id, partnerID string
	var deleted sql.NullInt64
	err := v.queryRow(`SELECT id, partner_id, deleted_at FROM users WHERE email_norm = ? AND id <> ?`,
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
		pr.Errors = []api.FieldError{{Field: "email", Code: api.FieldUserDeleted, Message: pr.Detail}}
		return pr
	}
	pr := conflict(api.CodeEmailTaken, "email %s is already a user of the portal (emails are unique across all partners in any spelling: case, Unicode form or punycode domain)", email)
	if visible {
		pr.UserID = id
		pr.Detail = "email " + email + " is already user " + id
	}
	pr.Errors = []api.FieldError{{Field: "email", Code: api.FieldEmailTaken, Message: pr.Detail}}
	return pr
}

// checkEmail refuses an address that is not one plain address, naming
// first a character no text may hold.
func checkEmail(fe *fieldErrors, field, email string) {
	if err := api.CheckText(email); err != nil {
		fe.add(field, api.FieldInvalidText, "%v", err)
	} else if !api.ValidEmail(email) {
		fe.add(field, api.FieldInvalid, "%q is not a valid email address", email)
	}
}

func validateUserFields(fe *fieldErrors, email, first, last, phone *string, expires *time.Time, now time.Time) {
	if email != nil {
		checkEmail(fe, "email", *email)
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"first_name", first}, {"last_name", last}} {
		fe.text(f.name, f.value)
		if f.value != nil && len(*f.value) > 100 {
			fe.add(f.name, api.FieldTooLong, "must be at most 100 characters")
		}
	}
	if phone != nil && *phone != "" && !api.ValidPhone(*phone) {
		fe.add("phone", api.FieldInvalid, "%q is not an E.164 number: a + then the country code and number, 7 to 15 digits, e.g. +14155550123", *phone)
	}
	checkMicros(fe, "access_expires_at", expires)
	if expires != nil && !expires.After(now) {
		fe.add("access_expires_at", api.FieldInPast, "must be in the future")
	}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	l, err := s.partnerList(r, p, api.PermUsersRead)
	if err != nil {
		return err
	}
	status := l.oneOf("status", api.UserInvited, api.UserActive, api.UserExpired, api.UserDeleted)
	includeDeleted := l.boolean("include_deleted") || status == api.UserDeleted
	inactive := l.seconds("inactive_for")
	if err := l.err(); err != nil {
		return err
	}
	if email := l.str("email"); email != "" {
		l.filter("email_norm = ?", api.NormalizeEmail(email))
	}
	if domain := l.str("email_domain"); domain != "" {
		_, canonical, _ := strings.Cut(api.NormalizeEmail("x@"+strings.TrimPrefix(domain, "@")), "@")
		l.filter("email_domain = ?", canonical)
	}
	if role := l.str("role"); role != "" {
		l.filter("EXISTS (SELECT 1 FROM grants g WHERE g.user_id = users.id AND g.role = ?)", role)
	}
	if !includeDeleted {
		l.filter("deleted_at IS NULL")
	}
	now := micros(l.v.now)
	if inactive > 0 {
		// By the portal's clock: the test clock moves it.
		before := micros(l.v.now.Add(-inactive))
		l.filter("(last_activity_at < ? OR (last_activity_at IS NULL AND created_at < ?))", before, before)
	}
	switch status {
	case api.UserDeleted:
		l.filter("deleted_at IS NOT NULL")
	case api.UserExpired:
		l.filter("deleted_at IS NULL AND access_expires_at IS NOT NULL AND access_expires_at <= ?", now)
	case api.UserActive:
		l.filter("deleted_at IS NULL AND (access_expires_at IS NULL OR access_expires_at > ?) AND password_hash IS NOT NULL", now)
	case api.UserInvited:
		l.filter("deleted_at IS NULL AND (access_expires_at IS NULL OR access_expires_at > ?) AND password_hash IS NULL", now)
	}
	users, err := fetchPage(l, `SELECT `+userCols+` FROM users`, keyset{column: "id"},
		func(row scanner) (api.User, error) { return scanUser(row, l.v.now) })
	if err != nil {
		return err
	}
	out := api.UserList{}
	out.Users, out.NextPageToken = pageOf(l, users, func(u api.User) string { return u.ID })
	return sendJSON(w, out, 0)
}

// routeUser loads the route's user (removed ones too) for a reader.
func (v *view) routeUser(r *http.Request, p *principal) (*api.User, error) {
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermUsersRead)
	if err != nil {
		return nil, err
	}
	return v.user(pt.ID, r.PathValue("user_id"))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	u, err := s.view(r).routeUser(r, p)
	if err != nil {
		return err
	}
	return sendJSON(w, u, u.Version)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermUsersManage)
	if err != nil {
		return err
	}
	var in api.UserCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validateUserCreate(v, pt.ID, &in); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		u, err := s.createUserIn(v, p, pt.ID, in)
		if err != nil {
			return nil, err
		}
		return replyCreated(u, u.Version, "/v1/partners/"+pt.ID+"/users/"+u.ID), nil
	})
}

// validateUserCreate checks a new user's fields and role keys, reporting
// every bad field in one 422.
func validateUserCreate(v *view, partnerID string, in *api.UserCreate) error {
	var fe fieldErrors
	validateUserFields(&fe, &in.Email, &in.FirstName, &in.LastName, &in.Phone, in.AccessExpiresAt, v.now)
	if err := checkRoleKeys(v, &fe, partnerID, "roles", in.Roles); err != nil {
		return err
	}
	return fe.err()
}

// createUserIn creates a user whose fields validateUserCreate passed, in the
// change's transaction v: the ceiling, then the email's conflicts, the user
// with its grants, the mail of its password link and its audit event. The
// single-user route and each create of a users batch run it.
func (s *Server) createUserIn(v *view, p *principal, partnerID string, in api.UserCreate) (*api.User, error) {
	roles, err := checkRoles(v, p, partnerID, "roles", in.Roles, grantedAll)
	if err != nil {
		return nil, err
	}
	if err := checkEmailFree(v, p, in.Email, ""); err != nil {
		return nil, err
	}
	u, err := insertUser(v, p.actor(), partnerID, in, roles, "")
	if err != nil {
		return nil, err
	}
	if err := s.sendPasswordSetup(v, u); err != nil {
		return nil, err
	}
	return u, v.audit(p.actor(), userChange(u, api.AuditUserCreated, nil, u))
}

func userChange(u *api.User, action string, before, after any) change {
	return change{partnerID: u.PartnerID, action: action, targetType: api.TargetUser, targetID: u.ID, targetUser: u.ID, before: before, after: after}
}

// insertUser stores a new user with its grants. passwordHash "" makes an
// invited user who sets a password from the emailed link.
func insertUser(v *view, actor api.Actor, partnerID string, in api.UserCreate, roles []string, passwordHash string) (*api.User, error) {
	id := newID("usr", v.now)
	norm := api.NormalizeEmail(in.Email)
	_, domain, _ := strings.Cut(norm, "@")
	var pw any
	if passwordHash != "" {
		pw = passwordHash
	}
	if err := v.exec(`INSERT INTO users (id, partner_id, email, email_norm, email_domain, first_name, last_name, phone, password_hash, access_expires_at, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		id, partnerID, in.Email, norm, domain, in.FirstName, in.LastName, in.Phone, pw, nullMicros(in.AccessExpiresAt), micros(v.now), micros(v.now)); err != nil {
		return nil, err
	}
	for _, k := range roles {
		if err := v.exec(`INSERT INTO grants (user_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)`, id, k, micros(v.now), actor.ID); err != nil {
			return nil, err
		}
	}
	return v.user(partnerID, id)
}

// usersAdmin authorizes a change to the route partner's users.
func (s *Server) usersAdmin(r *http.Request, p *principal) (*api.Partner, error) {
	return s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermUsersManage)
}

// changeUser runs fn, a change to the route's live user, in write's
// transaction, once userForChange has loaded and checked the user.
func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, p *principal, pt *api.Partner, fn func(v *view, u *api.User) (*reply, error)) error {
	return s.write(w, r, func(v *view) (*reply, error) {
		u, err := userForChange(v, p, pt.ID, r.PathValue("user_id"), ifMatch(r))
		if err != nil {
			return nil, err
		}
		return fn(v, u)
	})
}

// precondition checks the current version of the object a change is about:
// the If-Match of a single-object route (ifMatch), or the version of an
// operation of a users batch (versionIs).
type precondition func(version int64) error

// ifMatch is the request's If-Match as a precondition.
func ifMatch(r *http.Request) precondition {
	return func(version int64) error { return checkIfMatch(r, version) }
}

// userForChange loads a live user of the partner for a change by the
// principal, checking its rank, then its version.
func userForChange(v *view, p *principal, partnerID, userID string, match precondition) (*api.User, error) {
	u, err := v.user(partnerID, userID)
	if err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		pr := conflict(api.CodeUserDeleted, "user %s was removed; restore it first", u.ID)
		pr.RestorableUserID = u.ID
		return nil, pr
	}
	if err := checkTarget(v, p, u); err != nil {
		return nil, err
	}
	return u, match(u.Version)
}

// bumpUser increments a user's version after a change.
func bumpUser(v *view, u *api.User) (*api.User, error) {
	if err := v.exec(`UPDATE users SET version = version + 1, updated_at = ? WHERE id = ?`, micros(v.now), u.ID); err != nil {
		return nil, err
	}
	return v.user(u.PartnerID, u.ID)
}

// setGrants makes the user's grants exactly roles.
func setGrants(v *view, actor api.Actor, u *api.User, roles []string) error {
	for _, k := range u.Roles {
		if !slices.Contains(roles, k) {
			if err := v.exec(`DELETE FROM grants WHERE user_id = ? AND role = ?`, u.ID, k); err != nil {
				return err
			}
		}
	}
	for _, k := range roles {
		if !slices.Contains(u.Roles, k) {
			if err := v.exec(`INSERT INTO grants (user_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)`, u.ID, k, micros(v.now), actor.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermUsersManage)
	if err != nil {
		return err
	}
	var in api.UserUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validateUserUpdate(v, pt.ID, &in); err != nil {
		return err
	}
	return s.changeUser(w, r, p, pt, func(v *view, u *api.User) (*reply, error) {
		after, err := updateUserIn(v, p, u, in)
		if err != nil {
			return nil, err
		}
		return replyOK(after, after.Version), nil
	})
}

// validateUserUpdate checks a change's fields and role keys, reporting
// every bad field in one 422.
func validateUserUpdate(v *view, partnerID string, in *api.UserUpdate) error {
	var fe fieldErrors
	validateUserFields(&fe, in.Email, in.FirstName, in.LastName, in.Phone, in.AccessExpiresAt, v.now)
	if in.ClearAccessExpiry && in.AccessExpiresAt != nil {
		fe.add("clear_access_expiry", api.FieldConflict, "cannot be true together with access_expires_at")
	}
	if in.Roles != nil {
		if err := checkRoleKeys(v, &fe, partnerID, "roles", *in.Roles); err != nil {
			return err
		}
	}
	return fe.err()
}

// updateUserIn applies a change whose fields validateUserUpdate passed to u,
// which userForChange loaded and checked, in the change's transaction v: the
// ceiling of a role change before the email's conflicts, then the change,
// the new version and its audit event. An error leaves a partial change
// (the grants) for the transaction, or a batch's savepoint, to roll back.
func updateUserIn(v *view, p *principal, u *api.User, in api.UserUpdate) (*api.User, error) {
	if in.Roles != nil { // the ceiling before the email's conflict
		roles, err := checkRoleChange(v, p, u, "roles", *in.Roles)
		if err != nil {
			return nil, err
		}
		if err := setGrants(v, p.actor(), u, roles); err != nil {
			return nil, err
		}
	}
	if in.Email != nil {
		if err := checkEmailFree(v, p, *in.Email, u.ID); err != nil {
			return nil, err
		}
	}
	next := *u
	patch(&next.Email, in.Email)
	patch(&next.FirstName, in.FirstName)
	patch(&next.LastName, in.LastName)
	if in.Phone != nil {
		next.Phone = in.Phone // "" clears it
	}
	if in.AccessExpiresAt != nil {
		next.AccessExpiresAt = in.AccessExpiresAt
	}
	if in.ClearAccessExpiry {
		next.AccessExpiresAt = nil
	}
	norm := api.NormalizeEmail(next.Email)
	_, domain, _ := strings.Cut(norm, "@")
	if err := v.exec(`UPDATE users SET email = ?, email_norm = ?, email_domain = ?, first_name = ?, last_name = ?, phone = ?, access_expires_at = ? WHERE id = ?`,
		next.Email, norm, domain, next.FirstName, next.LastName, phoneColumn(next.Phone), nullMicros(next.AccessExpiresAt), u.ID); err != nil {
		return nil, err
	}
	after, err := bumpUser(v, u)
	if err != nil {
		return nil, err
	}
	return after, v.audit(p.actor(), userChange(u, api.AuditUserUpdated, u, after))
}

// phoneColumn is how a user's phone is stored: "" for none.
func phoneColumn(phone *string) string {
	if phone == nil {
		return ""
	}
	return *phone
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		if err := deleteUserIn(v, p, pt.ID, r.PathValue("user_id"), ifMatch(r)); err != nil {
			return nil, err
		}
		return replyNoContent(), nil
	})
}

// deleteUserIn removes a live user of the partner (one already removed is
// 404), in the change's transaction v, with its audit event.
func deleteUserIn(v *view, p *principal, partnerID, userID string, match precondition) error {
	u, err := userForChange(v, p, partnerID, userID, match)
	var pr *problem
	if errors.As(err, &pr) && pr.Code == api.CodeUserDeleted {
		return notFound("user " + userID) // already removed
	}
	if err != nil {
		return err
	}
	if slices.Contains(u.Roles, api.RoleOwner) {
		if err := checkNotLastOwner(v, u); err != nil {
			return err
		}
	}
	if err := v.exec(`UPDATE users SET deleted_at = ? WHERE id = ?`, micros(v.now), u.ID); err != nil {
		return err
	}
	after, err := bumpUser(v, u)
	if err != nil {
		return err
	}
	return v.audit(p.actor(), userChange(u, api.AuditUserDeleted, u, after))
}

func (s *Server) restoreUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		after, err := restoreUserIn(v, p, pt.ID, r.PathValue("user_id"))
		if err != nil {
			return nil, err
		}
		return replyOK(after, after.Version), nil
	})
}

// restoreUserIn brings back a removed user of the partner, in the change's
// transaction v, with its audit event: restoring grants its roles again, so
// they must be within the principal's ceiling.
func restoreUserIn(v *view, p *principal, partnerID, userID string) (*api.User, error) {
	u, err := v.user(partnerID, userID)
	if err != nil {
		return nil, err
	}
	if u.DeletedAt == nil {
		return nil, conflict(api.CodeUserNotDeleted, "user %s is not removed", u.ID)
	}
	if err := checkTarget(v, p, u); err != nil {
		return nil, err
	}
	if _, err := checkRoles(v, p, partnerID, "roles", u.Roles, grantedAll); err != nil {
		return nil, err
	}
	if err := v.exec(`UPDATE users SET deleted_at = NULL WHERE id = ?`, u.ID); err != nil {
		return nil, err
	}
	after, err := bumpUser(v, u)
	if err != nil {
		return nil, err
	}
	return after, v.audit(p.actor(), userChange(u, api.AuditUserRestored, u, after))
}
