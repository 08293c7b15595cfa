package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// InvitesService manages invitations by email:
// /v1/partners/{partner_id}/invites, and their acceptance.
type InvitesService struct{ c *Client }

func invitesPath(partnerID string) string { return pathf("/v1/partners/%s/invites", partnerID) }

func invitePath(partnerID, inviteID string) string {
	return pathf("/v1/partners/%s/invites/%s", partnerID, inviteID)
}

func inviteQuery(o api.InviteListOptions) url.Values {
	q := pageQuery(o.PageSize, o.PageToken)
	setIf(q, "status", o.Status)
	setIf(q, "email", o.Email)
	return q
}

// List returns one page of the partner's invites matching opts.
func (s *InvitesService) List(ctx context.Context, partnerID string, opts api.InviteListOptions) (*api.InviteList, error) {
	return doJSON[api.InviteList](ctx, s.c, get(invitesPath(partnerID), inviteQuery(opts)))
}

// ListAll returns every invite matching opts; opts' page fields are ignored.
func (s *InvitesService) ListAll(ctx context.Context, partnerID string, opts api.InviteListOptions) ([]api.Invite, error) {
	return listAll(ctx, s.c, invitesPath(partnerID), inviteQuery(opts),
		func(l *api.InviteList) ([]api.Invite, string) { return l.Invites, l.NextPageToken })
}

// Create invites one person by email.
func (s *InvitesService) Create(ctx context.Context, partnerID string, i api.InviteCreate) (*api.Invite, error) {
	return doJSON[api.Invite](ctx, s.c, post(invitesPath(partnerID), i))
}

// CreateBatch invites 1 to 10 people at once, all or nothing.
func (s *InvitesService) CreateBatch(ctx context.Context, partnerID string, b api.InviteBatchCreate) (*api.InviteList, error) {
	return doJSON[api.InviteList](ctx, s.c, post(invitesPath(partnerID)+"/batch", b))
}

// Get returns one invite.
func (s *InvitesService) Get(ctx context.Context, partnerID, inviteID string) (*api.Invite, error) {
	return doJSON[api.Invite](ctx, s.c, get(invitePath(partnerID, inviteID), nil))
}

// Update changes a pending invite; a version above 0 is sent as If-Match.
// An invite that is no longer pending fails with code invite_not_pending.
func (s *InvitesService) Update(ctx context.Context, partnerID, inviteID string, u api.InviteUpdate, version int64) (*api.Invite, error) {
	return doJSON[api.Invite](ctx, s.c, patch(invitePath(partnerID, inviteID), u, version))
}

// Resend sends a pending or expired invite again with a new link and
// expiry; r.LifetimeSeconds 0 keeps the default lifetime.
func (s *InvitesService) Resend(ctx context.Context, partnerID, inviteID string, r api.InviteResend) (*api.Invite, error) {
	return doJSON[api.Invite](ctx, s.c, post(invitePath(partnerID, inviteID)+"/resend", r))
}

// Revoke withdraws a pending or expired invite.
func (s *InvitesService) Revoke(ctx context.Context, partnerID, inviteID string) (*api.Invite, error) {
	return doJSON[api.Invite](ctx, s.c, post(invitePath(partnerID, inviteID)+"/revoke", nil))
}

// Accept accepts an invite with the emailed token, as the invited person
// does, and returns the new user. It carries no Idempotency-Key (unless the
// context has one, see WithIdempotencyKey), so a server error is not retried.
func (s *InvitesService) Accept(ctx context.Context, a api.InviteAccept) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, request{method: http.MethodPost, path: "/v1/invites/accept", body: a})
}
