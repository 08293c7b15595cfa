package client

import (
	"context"
	"net/url"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// AuditService reads a partner's audit trail:
// /v1/partners/{partner_id}/audit-events.
type AuditService struct{ c *Client }

func auditPath(partnerID string) string { return pathf("/v1/partners/%s/audit-events", partnerID) }

func auditQuery(o api.AuditListOptions) url.Values {
	q := pageQuery(o.PageSize, o.PageToken)
	setIf(q, "user_id", o.UserID)
	setIf(q, "actor", o.Actor)
	setIf(q, "action", o.Action)
	if o.Since != nil {
		q.Set("since", o.Since.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// List returns one page of events matching opts, newest first.
func (s *AuditService) List(ctx context.Context, partnerID string, opts api.AuditListOptions) (*api.AuditEventList, error) {
	return doJSON[api.AuditEventList](ctx, s.c, get(auditPath(partnerID), auditQuery(opts)))
}

// ListAll returns every event matching opts, newest first; opts' page
// fields are ignored.
func (s *AuditService) ListAll(ctx context.Context, partnerID string, opts api.AuditListOptions) ([]api.AuditEvent, error) {
	return listAll(ctx, s.c, auditPath(partnerID), auditQuery(opts),
		func(l *api.AuditEventList) ([]api.AuditEvent, string) { return l.Events, l.NextPageToken })
}
