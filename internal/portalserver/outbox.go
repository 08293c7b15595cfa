package portalserver

import (
	"net/http"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The outbox is the portal's mail sink: mail writes a message in the
// change's transaction, and with --dev GET /v1/dev/outbox reads them back.

// mail puts a message in the outbox.
func mail(v *view, to, kind, subject, body, link, token string) error {
	return v.exec(`INSERT INTO outbox (to_addr, kind, subject, body, link, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		api.NormalizeEmail(to), kind, subject, body, link, token, micros(v.now))
}

func (s *Server) getOutbox(w http.ResponseWriter, r *http.Request, _ *principal) error {
	sqlq := `SELECT seq, to_addr, kind, subject, body, link, token, created_at FROM outbox`
	var args []any
	if to := r.URL.Query().Get("to"); to != "" {
		sqlq, args = sqlq+` WHERE to_addr = ?`, append(args, api.NormalizeEmail(to))
	}
	rows, err := s.view(r).query(sqlq+` ORDER BY seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := api.OutboxList{Messages: []api.OutboxMessage{}}
	for rows.Next() {
		var m api.OutboxMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.To, &m.Kind, &m.Subject, &m.Body, &m.Link, &m.Token, &at); err != nil {
			return err
		}
		m.ID, m.CreatedAt = "msg_"+m.ID, fromMicros(at)
		out.Messages = append(out.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return sendJSON(w, out, 0)
}
