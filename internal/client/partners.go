package client

import (
	"context"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// PartnersService manages partner companies: /v1/partners.
type PartnersService struct{ c *Client }

func partnerPath(partnerID string) string { return pathf("/v1/partners/%s", partnerID) }

// List returns one page of the partners the token may see: all of them for
// an operator, its own for a partner token.
func (s *PartnersService) List(ctx context.Context, opts ListOptions) (*api.PartnerList, error) {
	return doJSON[api.PartnerList](ctx, s.c, get("/v1/partners", pageQuery(opts.PageSize, opts.PageToken)))
}

// ListAll returns every partner the token may see.
func (s *PartnersService) ListAll(ctx context.Context) ([]api.Partner, error) {
	return listAll(ctx, s.c, "/v1/partners", nil,
		func(l *api.PartnerList) ([]api.Partner, string) { return l.Partners, l.NextPageToken })
}

// Create creates a partner (operator tokens only).
func (s *PartnersService) Create(ctx context.Context, p api.PartnerCreate) (*api.Partner, error) {
	return doJSON[api.Partner](ctx, s.c, post("/v1/partners", p))
}

// Get returns one partner.
func (s *PartnersService) Get(ctx context.Context, partnerID string) (*api.Partner, error) {
	return doJSON[api.Partner](ctx, s.c, get(partnerPath(partnerID), nil))
}

// Update changes a partner. A version above 0 is sent as If-Match, and a
// stale one fails with ErrPreconditionFailed.
func (s *PartnersService) Update(ctx context.Context, partnerID string, u api.PartnerUpdate, version int64) (*api.Partner, error) {
	return doJSON[api.Partner](ctx, s.c, patch(partnerPath(partnerID), u, version))
}
