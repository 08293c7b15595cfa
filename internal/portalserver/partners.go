package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func (s *Server) getMe(w http.ResponseWriter, r *http.Request, p *principal) error {
	me := api.Me{
		Kind: api.KindPartner, TokenID: p.tokenID, TokenName: p.tokenName, UserID: p.userID, Email: p.email,
		PartnerID: p.partnerID, Role: p.role, Rank: p.rank, Permissions: []string{},
		CeilingRank: p.ceiling(), CeilingRole: api.CeilingRole(p.ceiling()),
	}
	if p.operator {
		me.Kind = api.KindOperator
	}
	for _, perm := range api.AllPermissions {
		if p.perms[perm] {
			me.Permissions = append(me.Permissions, perm)
		}
	}
	return sendJSON(w, me, 0)
}

const partnerCols = `id, name, user_admin_min_role, version, created_at, updated_at`

func scanPartner(row interface{ Scan(...any) error }) (*api.Partner, error) {
	var pt api.Partner
	var created, updated int64
	if err := row.Scan(&pt.ID, &pt.Name, &pt.Settings.UserAdminMinRole, &pt.Version, &created, &updated); err != nil {
		return nil, err
	}
	pt.CreatedAt, pt.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &pt, nil
}

// partnerFor loads a partner the principal may see; any other answers 404,
// so a partner token cannot learn that another partner exists.
func (s *Server) partnerFor(ctx context.Context, q querier, p *principal, id string) (*api.Partner, error) {
	if !p.operator && id != p.partnerID {
		return nil, notFound("partner " + id)
	}
	pt, err := scanPartner(q.QueryRowContext(ctx, `SELECT `+partnerCols+` FROM partners WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("partner " + id)
	}
	return pt, err
}

// require checks that the principal holds a permission.
func (p *principal) require(perm string) error {
	if !p.perms[perm] {
		return forbidden("this token's role %q lacks the permission %s", p.role, perm)
	}
	return nil
}

// requireUserAdmin checks that the principal may manage users of the partner:
// the permission, and at least the partner's user_admin_min_role.
func (p *principal) requireUserAdmin(pt *api.Partner, perm string) error {
	if err := p.require(perm); err != nil {
		return err
	}
	floor, _ := api.Builtin(pt.Settings.UserAdminMinRole)
	if p.rank < floor.Rank {
		return forbidden("partner %s lets only %s and above manage users (setting user_admin_min_role); this token's role is %q",
			pt.ID, pt.Settings.UserAdminMinRole, p.role)
	}
	return nil
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := &query{r: r}
	size := q.pageSize()
	after, err := decodeCursor(q.str("page_token"))
	if err := errors.Join(q.err(), err); err != nil {
		return err
	}
	sqlq := `SELECT ` + partnerCols + ` FROM partners WHERE id > ?`
	args := []any{after}
	if !p.operator {
		sqlq += ` AND id = ?`
		args = append(args, p.partnerID)
	}
	rows, err := s.db.read.QueryContext(r.Context(), sqlq+` ORDER BY id LIMIT ?`, append(args, size+1)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := api.PartnerList{Partners: []api.Partner{}}
	for rows.Next() {
		pt, err := scanPartner(rows)
		if err != nil {
			return err
		}
		out.Partners = append(out.Partners, *pt)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(out.Partners) > size {
		out.Partners = out.Partners[:size]
		out.NextPageToken = encodeCursor(out.Partners[size-1].ID)
	}
	return sendJSON(w, out, 0)
}

func validatePartner(name *string, settings *api.PartnerSettings) error {
	var fe fieldErrors
	if name != nil && (strings.TrimSpace(*name) == "" || len(*name) > 200) {
		fe.add("name", "invalid", "must be 1 to 200 characters")
	}
	if settings != nil {
		if _, ok := api.Builtin(settings.UserAdminMinRole); !ok {
			fe.add("settings.user_admin_min_role", "invalid", "must be a built-in role: owner, admin, manager, member or read_only")
		}
	}
	return fe.err()
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	if !p.operator {
		return forbidden("only a portal operator token may create partners")
	}
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		var in api.PartnerCreate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		if in.Settings == nil {
			in.Settings = &api.PartnerSettings{UserAdminMinRole: api.RoleManager}
		}
		if err := validatePartner(&in.Name, in.Settings); err != nil {
			return nil, err
		}
		pt, err := s.insertPartner(r.Context(), tx, in)
		if err != nil {
			return nil, err
		}
		if err := s.audit(r.Context(), tx, p.actor(), change{partnerID: pt.ID, action: "partner.created", targetType: "partner", targetID: pt.ID, after: pt}); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: pt, version: pt.Version, location: "/v1/partners/" + pt.ID}, nil
	})
}

func (s *Server) insertPartner(ctx context.Context, tx *sql.Tx, in api.PartnerCreate) (*api.Partner, error) {
	now := s.now()
	pt := &api.Partner{ID: newID("prt", now), Name: in.Name, Settings: *in.Settings, Version: 1, CreatedAt: now, UpdatedAt: now}
	_, err := tx.ExecContext(ctx, `INSERT INTO partners (`+partnerCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		pt.ID, pt.Name, pt.Settings.UserAdminMinRole, pt.Version, micros(now), micros(now))
	return pt, err
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermPartnerRead); err != nil {
		return err
	}
	return sendJSON(w, pt, pt.Version)
}

func (s *Server) updatePartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		pt, err := s.partnerFor(r.Context(), tx, p, r.PathValue("partner_id"))
		if err != nil {
			return nil, err
		}
		if err := p.require(api.PermPartnerManage); err != nil {
			return nil, err
		}
		var in api.PartnerUpdate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		if err := validatePartner(in.Name, in.Settings); err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, pt.Version); err != nil {
			return nil, err
		}
		before := *pt
		if in.Name != nil {
			pt.Name = *in.Name
		}
		if in.Settings != nil {
			pt.Settings = *in.Settings
		}
		pt.Version++
		pt.UpdatedAt = s.now()
		if _, err := tx.ExecContext(r.Context(), `UPDATE partners SET name = ?, user_admin_min_role = ?, version = ?, updated_at = ? WHERE id = ?`,
			pt.Name, pt.Settings.UserAdminMinRole, pt.Version, micros(pt.UpdatedAt), pt.ID); err != nil {
			return nil, err
		}
		if err := s.audit(r.Context(), tx, p.actor(), change{partnerID: pt.ID, action: "partner.updated", targetType: "partner", targetID: pt.ID, before: before, after: pt}); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: pt, version: pt.Version}, nil
	})
}
