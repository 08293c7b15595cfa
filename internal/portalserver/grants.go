package portalserver

import (
	"database/sql"
	"net/http"
	"slices"
	"strconv"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func itoa(i int) string { return strconv.Itoa(i) }

// grantList lists a user's grants.
func grantList(r *http.Request, q querier, userID string) (*api.GrantList, error) {
	rows, err := q.QueryContext(r.Context(), `SELECT role, granted_at, granted_by FROM grants WHERE user_id = ? ORDER BY role`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &api.GrantList{Grants: []api.Grant{}}
	for rows.Next() {
		g := api.Grant{UserID: userID}
		var at int64
		if err := rows.Scan(&g.Role, &at, &g.GrantedBy); err != nil {
			return nil, err
		}
		g.GrantedAt = fromMicros(at)
		out.Grants = append(out.Grants, g)
	}
	return out, rows.Err()
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request, p *principal) error {
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
	out, err := grantList(r, s.db.read, u.ID)
	if err != nil {
		return err
	}
	return sendJSON(w, out, 0)
}

func (s *Server) replaceGrants(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		u, err := s.userForChange(r, tx, p)
		if err != nil {
			return nil, err
		}
		var in api.GrantsReplace
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		roles, err := checkRoleChange(r.Context(), tx, p, u, "roles", in.Roles)
		if err != nil {
			return nil, err
		}
		return s.applyGrants(r, tx, p, u, roles, "user.roles_replaced", http.StatusOK)
	})
}

// applyGrants sets a user's roles, bumps its version and records the change.
func (s *Server) applyGrants(r *http.Request, tx *sql.Tx, p *principal, u *api.User, roles []string, action string, status int) (*reply, error) {
	ctx := r.Context()
	if err := setGrants(ctx, tx, p.actor(), u, roles, s.now()); err != nil {
		return nil, err
	}
	after, err := s.bumpUser(ctx, tx, u)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, p.actor(), userChange(u, action, u, after)); err != nil {
		return nil, err
	}
	grants, err := grantList(r, tx, u.ID)
	if err != nil {
		return nil, err
	}
	rep := &reply{status: status, body: grants, version: after.Version}
	if key := r.PathValue("role_key"); key != "" && r.Method == http.MethodPut {
		i := slices.IndexFunc(grants.Grants, func(g api.Grant) bool { return g.Role == key })
		rep.body = grants.Grants[i]
	}
	return rep, nil
}

func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, _ []byte) (*reply, error) {
		u, err := s.userForChange(r, tx, p)
		if err != nil {
			return nil, err
		}
		key := r.PathValue("role_key")
		if ro, err := lookupRole(r.Context(), tx, u.PartnerID, key); err != nil || ro == nil {
			if err != nil {
				return nil, err
			}
			return nil, notFound("role " + key)
		}
		if slices.Contains(u.Roles, key) {
			grants, err := grantList(r, tx, u.ID)
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(grants.Grants, func(g api.Grant) bool { return g.Role == key })
			return &reply{status: http.StatusOK, body: grants.Grants[i], version: u.Version}, nil
		}
		roles, err := checkRoleChange(r.Context(), tx, p, u, "role", append(slices.Clone(u.Roles), key))
		if err != nil {
			return nil, err
		}
		return s.applyGrants(r, tx, p, u, roles, "user.role_granted", http.StatusCreated)
	})
}

func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, _ []byte) (*reply, error) {
		u, err := s.userForChange(r, tx, p)
		if err != nil {
			return nil, err
		}
		key := r.PathValue("role_key")
		if !slices.Contains(u.Roles, key) {
			return nil, notFound("grant of role " + key + " to user " + u.ID)
		}
		next := slices.DeleteFunc(slices.Clone(u.Roles), func(k string) bool { return k == key })
		roles, err := checkRoleChange(r.Context(), tx, p, u, "role", next)
		if err != nil {
			return nil, err
		}
		if _, err := s.applyGrants(r, tx, p, u, roles, "user.role_revoked", http.StatusNoContent); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusNoContent}, nil
	})
}
