package client

import (
	"context"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// RolesService manages the built-in and custom roles of a partner:
// /v1/partners/{partner_id}/roles.
type RolesService struct{ c *Client }

func rolesPath(partnerID string) string { return pathf("/v1/partners/%s/roles", partnerID) }

func rolePath(partnerID, key string) string {
	return pathf("/v1/partners/%s/roles/%s", partnerID, key)
}

// List returns one page of the partner's roles.
func (s *RolesService) List(ctx context.Context, partnerID string, opts ListOptions) (*api.RoleList, error) {
	return doJSON[api.RoleList](ctx, s.c, get(rolesPath(partnerID), pageQuery(opts.PageSize, opts.PageToken)))
}

// ListAll returns every role of the partner.
func (s *RolesService) ListAll(ctx context.Context, partnerID string) ([]api.Role, error) {
	return listAll(ctx, s.c, rolesPath(partnerID), nil,
		func(l *api.RoleList) ([]api.Role, string) { return l.Roles, l.NextPageToken })
}

// Create creates a custom role.
func (s *RolesService) Create(ctx context.Context, partnerID string, r api.RoleCreate) (*api.Role, error) {
	return doJSON[api.Role](ctx, s.c, post(rolesPath(partnerID), r))
}

// Get returns one role by key.
func (s *RolesService) Get(ctx context.Context, partnerID, key string) (*api.Role, error) {
	return doJSON[api.Role](ctx, s.c, get(rolePath(partnerID, key), nil))
}

// Update changes a custom role; a version above 0 is sent as If-Match.
func (s *RolesService) Update(ctx context.Context, partnerID, key string, u api.RoleUpdate, version int64) (*api.Role, error) {
	return doJSON[api.Role](ctx, s.c, patch(rolePath(partnerID, key), u, version))
}

// Delete deletes a custom role; a version above 0 is sent as If-Match.
func (s *RolesService) Delete(ctx context.Context, partnerID, key string, version int64) error {
	return s.c.do(ctx, del(rolePath(partnerID, key), version), nil)
}
