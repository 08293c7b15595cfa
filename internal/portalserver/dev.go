package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The routes below exist only with --dev, beside the outbox (outbox.go): the
// test clock, which moves the portal's time forward so invite expiry and
// temporary access are tested without sleeping. Its offset lives in the
// database (settings.clock_offset, nanoseconds in decimal), so that every
// portald on one database keeps the same time.

func (s *Server) getClock(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return sendJSON(w, api.Clock{Now: s.view(r).now}, 0)
}

func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var in api.ClockAdvance
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Seconds <= 0 {
		return (fieldErrors{{Field: "seconds", Code: api.FieldOutOfRange, Message: "must be positive: the test clock only moves forward"}}).err()
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		offset, err := readClockOffset(v.ctx, v.q)
		if err != nil {
			return nil, err
		}
		step := time.Duration(in.Seconds) * time.Second
		if err := v.exec(`INSERT INTO settings (name, value) VALUES ('clock_offset', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
			[]byte(strconv.FormatInt(int64(offset+step), 10))); err != nil {
			return nil, err
		}
		return replyOK(api.Clock{Now: v.now.Add(step)}, 0), nil
	})
}

// clockOffset is how far the test clock was moved forward; 0 when it
// cannot be read (the request then fails on the database anyway).
func (s *Server) clockOffset(ctx context.Context, q querier) time.Duration {
	offset, err := readClockOffset(ctx, q)
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "reading the test clock", "err", err)
	}
	return offset
}

func readClockOffset(ctx context.Context, q querier) (time.Duration, error) {
	var value []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'clock_offset'`).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	return time.Duration(n), err
}
