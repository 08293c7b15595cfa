package portalserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// observe gives every request an id, recovers panics into a 500, writes the
// access log and counts the request in /metrics by route and status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRe.MatchString(id) {
			id = newID("req", start)
		}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.writeProblem(rec, r, fmt.Errorf("panic: %v", v))
			}
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			s.metrics.observe(route, rec.status, elapsed)
			s.log.InfoContext(r.Context(), "request",
				"method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000, "request_id", id,
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(rec, r)
	})
}
