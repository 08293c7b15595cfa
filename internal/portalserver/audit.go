package portalserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// change is one audit event.
type change struct {
	partnerID  string
	action     string
	targetType string
	targetID   string
	targetUser string
	before     any
	after      any
}

// audit records a change with its actor and request id, in the change's transaction.
func (v *view) audit(actor api.Actor, c change) error {
	enc := func(x any) (any, error) {
		if x == nil {
			return nil, nil
		}
		b, err := json.Marshal(x)
		return string(b), err
	}
	before, err := enc(c.before)
	if err != nil {
		return err
	}
	after, err := enc(c.after)
	if err != nil {
		return err
	}
	return v.exec(`INSERT INTO audit_events (partner_id, time, actor_type, actor_id, actor_email, action, target_type, target_id, target_user_id, request_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.partnerID, micros(v.now), actor.Type, actor.ID, api.NormalizeEmail(actor.Email), c.action, c.targetType, c.targetID, c.targetUser,
		requestID(v.ctx), before, after)
}

const auditCols = `seq, partner_id, time, actor_type, actor_id, actor_email, action, target_type, target_id, request_id,
	COALESCE(before, 'null'), COALESCE(after, 'null')`

func scanAuditEvent(row scanner) (api.AuditEvent, error) {
	var e api.AuditEvent
	var seq string
	var at int64
	var before, after string
	if err := row.Scan(&seq, &e.PartnerID, &at, &e.Actor.Type, &e.Actor.ID, &e.Actor.Email, &e.Action, &e.TargetType, &e.TargetID, &e.RequestID, &before, &after); err != nil {
		return e, err
	}
	e.ID, e.Time = "evt_"+seq, fromMicros(at)
	return e, errors.Join(json.Unmarshal([]byte(before), &e.Before), json.Unmarshal([]byte(after), &e.After))
}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	l, err := s.partnerList(r, p, api.PermAuditRead)
	if err != nil {
		return err
	}
	since := l.time("since")
	if err := l.err(); err != nil {
		return err
	}
	if userID := l.str("user_id"); userID != "" {
		l.filter("target_user_id = ?", userID)
	}
	if actor := l.str("actor"); actor != "" {
		l.filter("(actor_id = ? OR actor_email = ?)", actor, api.NormalizeEmail(actor))
	}
	if action := l.str("action"); action != "" {
		l.filter("action = ?", action)
	}
	if since != nil {
		l.filter("time >= ?", micros(*since))
	}
	events, err := fetchPage(l, `SELECT `+auditCols+` FROM audit_events`, keyset{column: "seq", desc: true}, scanAuditEvent)
	if err != nil {
		return err
	}
	out := api.AuditEventList{}
	out.Events, out.NextPageToken = pageOf(l, events, func(e api.AuditEvent) string { return strings.TrimPrefix(e.ID, "evt_") })
	return sendJSON(w, out, 0)
}
