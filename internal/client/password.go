package client

import (
	"context"
	"net/http"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// PasswordService completes a new user's password setup: /v1/password-setup.
type PasswordService struct{ c *Client }

// Setup sets a new user's password with the emailed token, as the user
// does, and returns the user. Like Invites.Accept it carries no
// Idempotency-Key, so a server error is not retried.
func (s *PasswordService) Setup(ctx context.Context, p api.PasswordSetup) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, request{method: http.MethodPost, path: "/v1/password-setup", body: p})
}
