package client

import (
	"context"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// MeService tells who the token is: GET /v1/me.
type MeService struct{ c *Client }

// Get returns the token's identity, partner, role, permissions and the
// highest rank it may grant.
func (s *MeService) Get(ctx context.Context) (*api.Me, error) {
	return doJSON[api.Me](ctx, s.c, get("/v1/me", nil))
}
