package portalserver

import (
	"context"
	"database/sql"
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
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		if o.Operator {
			tok, err := s.insertToken(ctx, tx, o.TokenName, "", "")
			if err != nil {
				return err
			}
			res = BootstrapResult{TokenID: tok.ID, Token: tok.Token, Operator: true}
			return nil
		}
		var fe fieldErrors
		if !api.ValidEmail(o.OwnerEmail) {
			fe.add("owner-email", "invalid", "%q is not a valid email address", o.OwnerEmail)
		}
		name := o.PartnerName
		if err := validatePartner(&name, nil); err != nil {
			return err
		}
		if err := fe.err(); err != nil {
			return err
		}
		if err := s.checkEmailFree(ctx, tx, &principal{operator: true}, o.OwnerEmail, ""); err != nil {
			return err
		}
		pt, err := s.insertPartner(ctx, tx, api.PartnerCreate{Name: name, Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleManager}})
		if err != nil {
			return err
		}
		u, err := s.insertUser(ctx, tx, actor, pt.ID, api.UserCreate{Email: o.OwnerEmail}, []string{api.RoleOwner}, "", s.now())
		if err != nil {
			return err
		}
		if err := s.sendPasswordSetup(ctx, tx, u); err != nil {
			return err
		}
		tok, err := s.insertToken(ctx, tx, o.TokenName, pt.ID, u.ID)
		if err != nil {
			return err
		}
		res = BootstrapResult{PartnerID: pt.ID, UserID: u.ID, TokenID: tok.ID, Token: tok.Token}
		return errors.Join(
			s.audit(ctx, tx, actor, change{partnerID: pt.ID, action: "partner.created", targetType: "partner", targetID: pt.ID, after: pt}),
			s.audit(ctx, tx, actor, userChange(u, "user.created", nil, u)),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	return &res, nil
}
