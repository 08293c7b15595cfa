package client

import (
	"context"
	"net/http"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// GrantsService manages the roles one user holds:
// /v1/partners/{partner_id}/users/{user_id}/roles.
type GrantsService struct{ c *Client }

func grantsPath(partnerID, userID string) string {
	return pathf("/v1/partners/%s/users/%s/roles", partnerID, userID)
}

func grantPath(partnerID, userID, role string) string {
	return pathf("/v1/partners/%s/users/%s/roles/%s", partnerID, userID, role)
}

// List returns the roles the user holds.
func (s *GrantsService) List(ctx context.Context, partnerID, userID string) (*api.GrantList, error) {
	return doJSON[api.GrantList](ctx, s.c, get(grantsPath(partnerID, userID), nil))
}

// Replace makes roles the whole set the user holds. A version above 0 (the
// user's) is sent as If-Match.
func (s *GrantsService) Replace(ctx context.Context, partnerID, userID string, roles []string, version int64) (*api.GrantList, error) {
	if roles == nil {
		roles = []string{}
	}
	r := request{method: http.MethodPut, path: grantsPath(partnerID, userID), body: api.GrantsReplace{Roles: roles}, version: version}
	return doJSON[api.GrantList](ctx, s.c, r)
}

// Grant gives the user one role; granting a role already held succeeds.
func (s *GrantsService) Grant(ctx context.Context, partnerID, userID, role string) (*api.Grant, error) {
	return doJSON[api.Grant](ctx, s.c, request{method: http.MethodPut, path: grantPath(partnerID, userID, role)})
}

// Revoke takes one role from the user; a role not held fails with ErrNotFound.
func (s *GrantsService) Revoke(ctx context.Context, partnerID, userID, role string) error {
	return s.c.do(ctx, del(grantPath(partnerID, userID, role), 0), nil)
}
