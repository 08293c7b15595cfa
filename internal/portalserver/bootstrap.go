package portalserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// BootstrapOptions say what Bootstrap creates: a partner with its first
// owner and that owner's API token, or (Operator) a portal operator token.
type BootstrapOptions struct {
	PartnerName string
	OwnerEmail  string
	Operator    bool
	TokenName   string
}

// BootstrapResult is printed once by `portald bootstrap`; the token is not stored in the clear.
type BootstrapResult struct {
	PartnerID string `json:"partner_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	TokenID   string `json:"token_id"`
	Token     string `json:"token"`
	Operator  bool   `json:"operator,omitempty"`
}

// Bootstrap creates the first objects of a portal, outside the API.
func (s *Server) Bootstrap(ctx context.Context, o BootstrapOptions) (*BootstrapResult, error) {
	if o.TokenName == "" {
		o.TokenName = "bootstrap"
	}
	var res BootstrapResult
	actor := api.Actor{Type: "operator", ID: "bootstrap"}
	if !o.Operator {
		var fe fieldErrors
		if !api.ValidEmail(o.OwnerEmail) {
			fe.add("owner-email", api.FieldInvalid, "%q is not a valid email address", o.OwnerEmail)
		}
		if err := validatePartner(&o.PartnerName, nil); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		if err := fe.err(); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	err := s.db.tx(ctx, "", func(q querier) error {
		v := &view{ctx: ctx, q: q, now: s.clock(ctx, q)}
		if o.Operator {
			tok, err := insertToken(v, o.TokenName, "", "")
			if err != nil {
				return err
			}
			res = BootstrapResult{TokenID: tok.ID, Token: tok.Token, Operator: true}
			return nil
		}
		if err := checkEmailFree(v, &principal{operator: true}, o.OwnerEmail, ""); err != nil {
			return err
		}
		pt, err := insertPartner(v, api.PartnerCreate{Name: o.PartnerName, Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleManager}})
		if err != nil {
			return err
		}
		u, err := insertUser(v, actor, pt.ID, api.UserCreate{Email: o.OwnerEmail}, []string{api.RoleOwner}, "")
		if err != nil {
			return err
		}
		if err := s.sendPasswordSetup(v, u); err != nil {
			return err
		}
		tok, err := insertToken(v, o.TokenName, pt.ID, u.ID)
		if err != nil {
			return err
		}
		res = BootstrapResult{PartnerID: pt.ID, UserID: u.ID, TokenID: tok.ID, Token: tok.Token}
		return errors.Join(
			v.audit(actor, change{partnerID: pt.ID, action: api.AuditPartnerCreated, targetType: api.TargetPartner, targetID: pt.ID, after: pt}),
			v.audit(actor, userChange(u, api.AuditUserCreated, nil, u)),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	return &res, nil
}
