package client

import (
	"context"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// TokensService mints API tokens: /v1/partners/{partner_id}/tokens.
type TokensService struct{ c *Client }

// Create mints an API token for one user of the partner. The answer holds
// the token itself, shown this once.
func (s *TokensService) Create(ctx context.Context, partnerID string, t api.TokenCreate) (*api.TokenCreated, error) {
	return doJSON[api.TokenCreated](ctx, s.c, post(pathf("/v1/partners/%s/tokens", partnerID), t))
}
