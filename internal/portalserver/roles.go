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

// builtinEpoch is the created_at of the built-in roles.
var builtinEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func builtinRole(b api.BuiltinRole) api.Role {
	return api.Role{Key: b.Key, Name: b.Name, Description: "Built-in role " + b.Name + ".", Rank: b.Rank,
		Permissions: slices.Clone(b.Permissions), BuiltIn: true, Version: 1, CreatedAt: builtinEpoch, UpdatedAt: builtinEpoch}
}

const roleCols = `partner_id, key, name, description, rank, permissions, version, created_at, updated_at`

func scanRole(row scanner) (api.Role, error) {
	var ro api.Role
	var perms string
	var created, updated int64
	if err := row.Scan(&ro.PartnerID, &ro.Key, &ro.Name, &ro.Description, &ro.Rank, &perms, &ro.Version, &created, &updated); err != nil {
		return ro, err
	}
	var err error
	ro.Permissions, err = decodeJSONList(perms)
	ro.CreatedAt, ro.UpdatedAt = fromMicros(created), fromMicros(updated)
	return ro, err
}

// role finds a built-in or custom role of the partner; nil when there is none.
func (v *view) role(partnerID, key string) (*api.Role, error) {
	if b, ok := api.Builtin(key); ok {
		ro := builtinRole(b)
		return &ro, nil
	}
	ro, err := scanRole(v.queryRow(`SELECT `+roleCols+` FROM roles WHERE partner_id = ? AND key = ?`, partnerID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &ro, err
}

// userRoles lists the roles a user holds, with their ranks and permissions.
func userRoles(v *view, partnerID, userID string) ([]api.Role, error) {
	rows, err := v.query(`SELECT role FROM grants WHERE user_id = ? ORDER BY role`, userID)
	if err != nil {
		return nil, err
	}
	keys := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			_ = rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	out := make([]api.Role, 0, len(keys))
	for _, k := range keys {
		ro, err := v.role(partnerID, k)
		if err != nil {
			return nil, err
		}
		if ro != nil {
			out = append(out, *ro)
		}
	}
	return out, nil
}

// listRoles lists the built-in and custom roles, highest rank first, then
// by key. A partner has few roles: they are sorted here, and the cursor is
// the last role's place in that order, so a role deleted between pages does
// not restart the list.
func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, p *principal) error {
	l, err := s.partnerList(r, p, api.PermRolesRead)
	if err != nil {
		return err
	}
	if err := l.err(); err != nil {
		return err
	}
	all := []api.Role{}
	for _, b := range api.BuiltinRoles {
		all = append(all, builtinRole(b))
	}
	rows, err := l.v.query(`SELECT `+roleCols+` FROM roles WHERE partner_id = ?`, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		ro, err := scanRole(rows)
		if err != nil {
			return err
		}
		all = append(all, ro)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b api.Role) int { return compareRoleOrder(a.Rank, a.Key, b.Rank, b.Key) })
	start := 0
	if l.after != "" {
		rank, key, found := strings.Cut(l.after, ":")
		n, err := strconv.Atoi(rank)
		if !found || err != nil {
			return badRequest("page_token", "page_token is not one this server issued")
		}
		start = len(all)
		if i := slices.IndexFunc(all, func(ro api.Role) bool { return compareRoleOrder(ro.Rank, ro.Key, n, key) > 0 }); i >= 0 {
			start = i
		}
	}
	out := api.RoleList{}
	out.Roles, out.NextPageToken = pageOf(l, all[start:min(len(all), start+l.size+1)],
		func(ro api.Role) string { return strconv.Itoa(ro.Rank) + ":" + ro.Key })
	return sendJSON(w, out, 0)
}

// compareRoleOrder orders roles by rank, highest first, then by key.
func compareRoleOrder(rankA int, keyA string, rankB int, keyB string) int {
	if rankA != rankB {
		return rankB - rankA
	}
	return strings.Compare(keyA, keyB)
}

// validateRole checks a custom role's fields: a valid key, a name, rank 1
// to 99, known permissions with each edit permission's read permission,
// none the creator lacks. checkRoleRank and the role_exists check follow.
func validateRole(p *principal, key string, name, description *string, rank *int, perms *[]string) error {
	var fe fieldErrors
	fe.text("name", name)
	fe.text("description", description)
	if key != "" {
		if !api.ValidRoleKey(key) {
			fe.add("key", api.FieldInvalid, "must be 2 to 32 lower-case letters, digits or underscores, starting with a letter")
		}
	}
	if name != nil && (strings.TrimSpace(*name) == "" || len(*name) > 100) {
		fe.add("name", api.FieldInvalid, "must be 1 to 100 characters")
	}
	if rank != nil && (*rank < 1 || *rank > 99) {
		fe.add("rank", api.FieldOutOfRange, "must be from 1 to 99")
	}
	if perms != nil {
		for _, msg := range api.CheckPermissions(*perms) {
			fe.add("permissions", api.FieldInvalid, "%s", msg)
		}
		for i, perm := range *perms {
			switch {
			case p.withheld[perm]:
				fe.add("permissions["+strconv.Itoa(i)+"]", api.FieldNotHeld, "partner %s withholds %s from this token's role %q (setting user_admin_min_role %s), so it cannot give it",
					p.partnerID, perm, p.role, p.userAdminMin)
			case slices.Contains(api.AllPermissions, perm) && !p.perms[perm]:
				fe.add("permissions["+strconv.Itoa(i)+"]", api.FieldNotHeld, "this token's role %q does not hold %s, so cannot give it", p.role, perm)
			}
		}
	}
	return fe.err()
}

// checkRoleRank answers 403 role_above_ceiling for a custom role ranked at
// or above the token's own rank: no one makes a role more powerful than
// itself. ceiling_rank is the highest rank the token may give a role.
func checkRoleRank(p *principal, rank *int) error {
	if rank == nil || *rank < p.rank {
		return nil
	}
	most := min(99, p.rank-1)
	pr := newProblem(http.StatusForbidden, api.CodeRoleAboveCeiling,
		"rank %d is not below the rank of this token's role %q (%d): a custom role may have a rank up to %d", *rank, p.role, p.rank, most)
	pr.Errors = []api.FieldError{{Field: "rank", Code: api.FieldAboveCeiling, Message: pr.Detail}}
	pr.CeilingRank, pr.ActorRole = most, p.role
	return pr
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermRolesManage)
	if err != nil {
		return err
	}
	var in api.RoleCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Key == "" {
		in.Key = " " // reported as invalid
	}
	if in.Permissions == nil {
		in.Permissions = []string{}
	}
	if err := validateRole(p, in.Key, &in.Name, &in.Description, &in.Rank, &in.Permissions); err != nil {
		return err
	}
	if err := checkRoleRank(p, &in.Rank); err != nil {
		return err
	}
	if _, builtin := api.Builtin(in.Key); builtin {
		return conflict(api.CodeRoleExists, "role %q is a built-in role of every partner; give the custom role another key", in.Key)
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		if existing, err := v.role(pt.ID, in.Key); err != nil || existing != nil {
			return nil, errors.Join(err, conflict(api.CodeRoleExists, "role %q already exists in partner %s", in.Key, pt.ID))
		}
		slices.Sort(in.Permissions)
		ro := &api.Role{Key: in.Key, Name: in.Name, Description: in.Description, Rank: in.Rank, Permissions: slices.Compact(in.Permissions),
			PartnerID: pt.ID, Version: 1, CreatedAt: v.now, UpdatedAt: v.now}
		if err := v.exec(`INSERT INTO roles (`+roleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pt.ID, ro.Key, ro.Name, ro.Description, ro.Rank, encodeJSONList(ro.Permissions), ro.Version, micros(v.now), micros(v.now)); err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), change{partnerID: pt.ID, action: "role.created", targetType: "role", targetID: ro.Key, after: ro}); err != nil {
			return nil, err
		}
		return replyCreated(ro, ro.Version, "/v1/partners/"+pt.ID+"/roles/"+ro.Key), nil
	})
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermRolesRead)
	if err != nil {
		return err
	}
	ro, err := v.role(pt.ID, r.PathValue("role_key"))
	if err != nil {
		return err
	}
	if ro == nil {
		return notFound("role " + r.PathValue("role_key"))
	}
	return sendJSON(w, ro, ro.Version)
}

// checkRoleUnused answers 409 role_in_use, naming them, while live users
// hold the role or open invites (pending, or expired, which a resend makes
// pending again) would grant it. Removed users do not hold it in use: their
// grant goes with the role, so a restored user comes back without it.
func checkRoleUnused(v *view, ro *api.Role) error {
	const most = 10 // ids named in the answer
	holders, err := ids(v, `SELECT u.id FROM grants g JOIN users u ON u.id = g.user_id
		WHERE u.partner_id = ? AND g.role = ? AND u.deleted_at IS NULL ORDER BY u.id LIMIT ?`, ro.PartnerID, ro.Key, most+1)
	if err != nil {
		return err
	}
	// invites.roles is a JSON list of keys: it holds this one in quotes.
	invites, err := ids(v, `SELECT id FROM invites WHERE partner_id = ? AND revoked_at IS NULL AND accepted_at IS NULL
		AND replace(roles, '"' || CAST(? AS TEXT) || '"', '') <> roles ORDER BY id LIMIT ?`, ro.PartnerID, ro.Key, most+1)
	if err != nil {
		return err
	}
	if len(holders) == 0 && len(invites) == 0 {
		return nil
	}
	var uses []string
	if len(holders) > 0 {
		uses = append(uses, "held by the users "+idList(holders, most))
	}
	if len(invites) > 0 {
		uses = append(uses, "named by the open invites "+idList(invites, most))
	}
	return conflict(api.CodeRoleInUse, "role %q is %s; revoke it from them first", ro.Key, strings.Join(uses, " and "))
}

// ids runs a query of one column of ids.
func ids(v *view, query string, args ...any) ([]string, error) {
	rows, err := v.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// idList names up to most ids, saying when there are more.
func idList(ids []string, most int) string {
	if len(ids) > most {
		return strings.Join(ids[:most], ", ") + " and more"
	}
	return strings.Join(ids, ", ")
}

// customRoleFor loads the route's custom role for a change by the principal.
func customRoleFor(v *view, r *http.Request, p *principal, partnerID string) (*api.Role, error) {
	key := r.PathValue("role_key")
	ro, err := v.role(partnerID, key)
	switch {
	case err != nil:
		return nil, err
	case ro == nil:
		return nil, notFound("role " + key)
	case ro.BuiltIn:
		return nil, forbidden("built-in role %q cannot be changed", key)
	case ro.Rank >= p.rank:
		return nil, newProblem(http.StatusForbidden, api.CodeInsufficientRank, "role %q (rank %d) is not below this token's role %q (rank %d)", key, ro.Rank, p.role, p.rank)
	}
	return ro, checkIfMatch(r, ro.Version)
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermRolesManage)
	if err != nil {
		return err
	}
	var in api.RoleUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validateRole(p, "", in.Name, in.Description, in.Rank, in.Permissions); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		ro, err := customRoleFor(v, r, p, pt.ID)
		if err != nil {
			return nil, err
		}
		// The new rank is the ceiling check: after the role's own checks.
		if err := checkRoleRank(p, in.Rank); err != nil {
			return nil, err
		}
		before := *ro
		patch(&ro.Name, in.Name)
		patch(&ro.Description, in.Description)
		patch(&ro.Rank, in.Rank)
		if in.Permissions != nil {
			perms := slices.Clone(*in.Permissions)
			slices.Sort(perms)
			ro.Permissions = slices.Compact(perms)
		}
		ro.Version++
		ro.UpdatedAt = v.now
		if err := v.exec(`UPDATE roles SET name = ?, description = ?, rank = ?, permissions = ?, version = ?, updated_at = ? WHERE partner_id = ? AND key = ?`,
			ro.Name, ro.Description, ro.Rank, encodeJSONList(ro.Permissions), ro.Version, micros(ro.UpdatedAt), ro.PartnerID, ro.Key); err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), change{partnerID: ro.PartnerID, action: "role.updated", targetType: "role", targetID: ro.Key, before: before, after: ro}); err != nil {
			return nil, err
		}
		return replyOK(ro, ro.Version), nil
	})
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermRolesManage)
	if err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		ro, err := customRoleFor(v, r, p, pt.ID)
		if err != nil {
			return nil, err
		}
		if err := checkRoleUnused(v, ro); err != nil {
			return nil, err
		}
		// Removed users keep their grants for a restore; a deleted role goes from them too.
		if err := v.exec(`DELETE FROM grants WHERE role = ? AND user_id IN (SELECT id FROM users WHERE partner_id = ?)`, ro.Key, ro.PartnerID); err != nil {
			return nil, err
		}
		if err := v.exec(`DELETE FROM roles WHERE partner_id = ? AND key = ?`, ro.PartnerID, ro.Key); err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), change{partnerID: ro.PartnerID, action: "role.deleted", targetType: "role", targetID: ro.Key, before: ro}); err != nil {
			return nil, err
		}
		return replyNoContent(), nil
	})
}
