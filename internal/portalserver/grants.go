package portalserver

import (
	"net/http"
	"slices"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// grants lists a user's grants.
func (v *view) grants(userID string) (*api.GrantList, error) {
	rows, err := v.query(`SELECT role, granted_at, granted_by FROM grants WHERE user_id = ? ORDER BY role`, userID)
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

// grant is the user's grant of one role, which it holds.
func (v *view) grant(userID, key string) (*api.Grant, error) {
	grants, err := v.grants(userID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(grants.Grants, func(g api.Grant) bool { return g.Role == key })
	return &grants.Grants[i], nil
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	u, err := v.routeUser(r, p)
	if err != nil {
		return err
	}
	out, err := v.grants(u.ID)
	if err != nil {
		return err
	}
	return sendJSON(w, out, 0)
}

func (s *Server) replaceGrants(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermUsersManage)
	if err != nil {
		return err
	}
	var in api.GrantsReplace
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	if err := checkRoleKeys(v, &fe, pt.ID, "roles", in.Roles); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.changeUser(w, r, p, pt, func(v *view, u *api.User) (*reply, error) {
		roles, err := checkRoleChange(v, p, u, "roles", in.Roles)
		if err != nil {
			return nil, err
		}
		after, err := applyGrants(v, p, u, roles, api.AuditUserRolesReplaced)
		if err != nil {
			return nil, err
		}
		grants, err := v.grants(u.ID)
		if err != nil {
			return nil, err
		}
		return replyOK(grants, after.Version), nil
	})
}

// applyGrants sets a user's roles, bumps its version and records the change.
func applyGrants(v *view, p *principal, u *api.User, roles []string, action string) (*api.User, error) {
	if err := setGrants(v, p.actor(), u, roles); err != nil {
		return nil, err
	}
	after, err := bumpUser(v, u)
	if err != nil {
		return nil, err
	}
	return after, v.audit(p.actor(), userChange(u, action, u, after))
}

func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	key := r.PathValue("role_key")
	return s.changeUser(w, r, p, pt, func(v *view, u *api.User) (*reply, error) {
		if ro, err := v.role(u.PartnerID, key); err != nil || ro == nil {
			if err != nil {
				return nil, err
			}
			return nil, notFound("role " + key)
		}
		if slices.Contains(u.Roles, key) {
			g, err := v.grant(u.ID, key)
			if err != nil {
				return nil, err
			}
			return replyOK(g, u.Version), nil
		}
		roles, err := checkRoleChange(v, p, u, "role", append(slices.Clone(u.Roles), key))
		if err != nil {
			return nil, err
		}
		after, err := applyGrants(v, p, u, roles, api.AuditUserRoleGranted)
		if err != nil {
			return nil, err
		}
		g, err := v.grant(u.ID, key)
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: g, version: after.Version}, nil
	})
}

func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	key := r.PathValue("role_key")
	return s.changeUser(w, r, p, pt, func(v *view, u *api.User) (*reply, error) {
		if !slices.Contains(u.Roles, key) {
			return nil, notFound("grant of role " + key + " to user " + u.ID)
		}
		next := slices.DeleteFunc(slices.Clone(u.Roles), func(k string) bool { return k == key })
		roles, err := checkRoleChange(v, p, u, "role", next)
		if err != nil {
			return nil, err
		}
		if _, err := applyGrants(v, p, u, roles, api.AuditUserRoleRevoked); err != nil {
			return nil, err
		}
		return replyNoContent(), nil
	})
}
