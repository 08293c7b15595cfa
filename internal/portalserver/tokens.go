package portalserver

import (
	"net/http"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// createToken mints an API token for a user of the partner.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.view(r).partnerFor(p, r.PathValue("partner_id"), api.PermTokensManage)
	if err != nil {
		return err
	}
	var in api.TokenCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	fe.text("name", &in.Name)
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 100 {
		fe.add("name", api.FieldInvalid, "must be 1 to 100 characters")
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		u, err := v.user(pt.ID, in.UserID)
		if err != nil || u.DeletedAt != nil {
			return nil, (fieldErrors{{Field: "user_id", Code: api.FieldUnknownUser, Message: "no live user " + in.UserID + " in partner " + pt.ID}}).err()
		}
		tok, err := insertToken(v, in.Name, pt.ID, u.ID)
		if err != nil {
			return nil, err
		}
		safe := *tok
		safe.Token = "" // the audit trail never holds the secret
		if err := v.audit(p.actor(), change{partnerID: pt.ID, action: api.AuditTokenCreated, targetType: api.TargetToken, targetID: tok.ID, targetUser: u.ID, after: safe}); err != nil {
			return nil, err
		}
		return replyCreated(tok, 0, ""), nil
	})
}

// insertToken mints a token, stores only its hash and returns it once.
// partnerID and userID are empty for an operator token.
func insertToken(v *view, name, partnerID, userID string) (*api.TokenCreated, error) {
	secret := newSecret("ptk_")
	tok := &api.TokenCreated{ID: newID("tok", v.now), Name: name, UserID: userID, PartnerID: partnerID, Token: secret, CreatedAt: v.now}
	operator := 0
	var pid, uid any = partnerID, userID
	if partnerID == "" {
		operator, pid, uid = 1, nil, nil
	}
	return tok, v.exec(`INSERT INTO tokens (id, hash, name, operator, partner_id, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tok.ID, hashSecret(secret), name, operator, pid, uid, micros(v.now))
}
