package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// DevService reaches the routes of a portald started with --dev: the mail
// outbox and the test clock. Without --dev they answer ErrNotFound.
type DevService struct{ c *Client }

// Outbox returns the mail sent to the address to (all mail when to is ""),
// oldest first.
func (s *DevService) Outbox(ctx context.Context, to string) (*api.OutboxList, error) {
	q := url.Values{}
	setIf(q, "to", to)
	return doJSON[api.OutboxList](ctx, s.c, get("/v1/dev/outbox", q))
}

// Clock returns the server's test clock.
func (s *DevService) Clock(ctx context.Context) (*api.Clock, error) {
	return doJSON[api.Clock](ctx, s.c, get("/v1/dev/clock", nil))
}

// AdvanceClock moves the test clock forward by d, in whole seconds (any
// fraction is dropped). It is not retried on a server error: advancing
// twice would skip ahead.
func (s *DevService) AdvanceClock(ctx context.Context, d time.Duration) (*api.Clock, error) {
	body := api.ClockAdvance{Seconds: int64(d / time.Second)}
	return doJSON[api.Clock](ctx, s.c, request{method: http.MethodPost, path: "/v1/dev/clock/advance", body: body})
}
