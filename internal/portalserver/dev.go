package portalserver

import (
	"net/http"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The routes below exist only with --dev, beside the outbox (outbox.go): the
// test clock, which moves the portal's time forward so invite expiry and
// temporary access are tested without sleeping.

func (s *Server) getClock(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	return sendJSON(w, api.Clock{Now: s.now()}, 0)
}

func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var in api.ClockAdvance
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Seconds <= 0 {
		return (fieldErrors{{Field: "seconds", Code: api.FieldOutOfRange, Message: "must be positive: the test clock only moves forward"}}).err()
	}
	return s.write(w, r, func(*view) (*reply, error) {
		s.clockMu.Lock()
		s.clockOffset += time.Duration(in.Seconds) * time.Second
		s.clockMu.Unlock()
		return replyOK(api.Clock{Now: s.now()}, 0), nil
	})
}
