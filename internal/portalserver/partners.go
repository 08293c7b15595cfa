package portalserver

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const partnerCols = `id, name, user_admin_min_role, version, created_at, updated_at`

func scanPartner(row scanner) (api.Partner, error) {
	var pt api.Partner
	var created, updated int64
	err := row.Scan(&pt.ID, &pt.Name, &pt.Settings.UserAdminMinRole, &pt.Version, &created, &updated)
	pt.CreatedAt, pt.UpdatedAt = fromMicros(created), fromMicros(updated)
	return pt, err
}

// partner loads a partner; 404 when there is none. partnerFor is the check
// that the caller may see it.
func (v *view) partner(id string) (*api.Partner, error) {
	pt, err := scanPartner(v.queryRow(`SELECT `+partnerCols+` FROM partners WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("partner " + id)
	}
	return &pt, err
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request, p *principal) error {
	l := s.newList(r)
	if err := l.err(); err != nil {
		return err
	}
	if !p.operator {
		l.filter("id = ?", p.partnerID)
	}
	partners, err := fetchPage(l, `SELECT `+partnerCols+` FROM partners`, keyset{column: "id"}, scanPartner)
	if err != nil {
		return err
	}
	out := api.PartnerList{}
	out.Partners, out.NextPageToken = pageOf(l, partners, func(pt api.Partner) string { return pt.ID })
	return sendJSON(w, out, 0)
}

func validatePartner(name *string, settings *api.PartnerSettings) error {
	var fe fieldErrors
	fe.text("name", name)
	if name != nil && (strings.TrimSpace(*name) == "" || len(*name) > 200) {
		fe.add("name", api.FieldInvalid, "must be 1 to 200 characters")
	}
	if settings != nil {
		if _, ok := api.Builtin(settings.UserAdminMinRole); !ok {
			fe.add("settings.user_admin_min_role", api.FieldInvalid, "must be a built-in role: owner, admin, manager, member or read_only")
		}
	}
	return fe.err()
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	if !p.operator {
		return forbidden("only a portal operator token may create partners")
	}
	var in api.PartnerCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Settings == nil {
		in.Settings = &api.PartnerSettings{UserAdminMinRole: api.RoleManager}
	}
	if err := validatePartner(&in.Name, in.Settings); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		pt, err := insertPartner(v, in)
		if err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), change{partnerID: pt.ID, action: api.AuditPartnerCreated, targetType: api.TargetPartner, targetID: pt.ID, after: pt}); err != nil {
			return nil, err
		}
		return replyCreated(pt, pt.Version, "/v1/partners/"+pt.ID), nil
	})
}

func insertPartner(v *view, in api.PartnerCreate) (*api.Partner, error) {
	pt := &api.Partner{ID: newID("prt", v.now), Name: in.Name, Settings: *in.Settings, Version: 1, CreatedAt: v.now, UpdatedAt: v.now}
	return pt, v.exec(`INSERT INTO partners (`+partnerCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		pt.ID, pt.Name, pt.Settings.UserAdminMinRole, pt.Version, micros(v.now), micros(v.now))
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermPartnerRead)
	if err != nil {
		return err
	}
	return sendJSON(w, pt, pt.Version)
}

func (s *Server) updatePartner(w http.ResponseWriter, r *http.Request, p *principal) error {
	id := r.PathValue("partner_id")
	if _, err := s.view(r).partnerFor(p, id, api.PermPartnerManage); err != nil {
		return err
	}
	var in api.PartnerUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validatePartner(in.Name, in.Settings); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		pt, err := v.partner(id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, pt.Version); err != nil {
			return nil, err
		}
		before := *pt
		patch(&pt.Name, in.Name)
		patch(&pt.Settings, in.Settings)
		pt.Version++
		pt.UpdatedAt = v.now
		if err := v.exec(`UPDATE partners SET name = ?, user_admin_min_role = ?, version = ?, updated_at = ? WHERE id = ?`,
			pt.Name, pt.Settings.UserAdminMinRole, pt.Version, micros(pt.UpdatedAt), pt.ID); err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), change{partnerID: pt.ID, action: api.AuditPartnerUpdated, targetType: api.TargetPartner, targetID: pt.ID, before: before, after: pt}); err != nil {
			return nil, err
		}
		return replyOK(pt, pt.Version), nil
	})
}
