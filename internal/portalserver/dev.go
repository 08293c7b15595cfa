package portalserver

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// The routes below exist only with --dev: the mail outbox, read over HTTP,
// and the test clock, which moves the portal's time forward so invite expiry
// and temporary access are tested without sleeping.

func (s *Server) getOutbox(w http.ResponseWriter, r *http.Request) error {
	sqlq := `SELECT seq, to_addr, kind, subject, body, link, token, created_at FROM outbox`
	var args []any
	if to := r.URL.Query().Get("to"); to != "" {
		sqlq, args = sqlq+` WHERE to_addr = ?`, append(args, api.NormalizeEmail(to))
	}
	rows, err := s.db.read.QueryContext(r.Context(), sqlq+` ORDER BY seq`, args...)
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

func (s *Server) getClock(w http.ResponseWriter, _ *http.Request) error {
	return sendJSON(w, api.Clock{Now: s.now()}, 0)
}

func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, nil, func(_ *sql.Tx, body []byte) (*reply, error) {
		var in api.ClockAdvance
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		if in.Seconds <= 0 {
			return nil, (fieldErrors{{Field: "seconds", Code: "out_of_range", Message: "must be positive: the test clock only moves forward"}}).err()
		}
		s.clockMu.Lock()
		s.clockOffset += time.Duration(in.Seconds) * time.Second
		s.clockMu.Unlock()
		return &reply{status: http.StatusOK, body: api.Clock{Now: s.now()}}, nil
	})
}
