package portalserver

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// rateLimiter is a token bucket per API token. A bucket that has filled up
// again is the same as no bucket, so the limiter drops those: it holds only
// the tokens used within the last burst/rate seconds, and never more than
// maxBuckets (when more than half of that is live it starts again empty,
// giving each of those tokens one fresh burst).
type rateLimiter struct {
	rate      float64 // tokens per second; 0 = off
	burst     float64
	mu        sync.Mutex
	bkts      map[string]*bucket
	nextSweep int // sweep when the map reaches this size
	now       func() time.Time
}

// maxBuckets caps the tokens the limiter tracks at once.
const maxBuckets = 100_000

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	if burst <= 0 {
		burst = int(math.Max(1, math.Ceil(2*rate)))
	}
	return &rateLimiter{rate: rate, burst: float64(burst), bkts: map[string]*bucket{}, nextSweep: minSweep, now: time.Now}
}

// allow takes one request from the token's bucket, sets the RateLimit
// headers and answers 429 with Retry-After when the bucket is empty.
func (l *rateLimiter) allow(w http.ResponseWriter, tokenID string) error {
	if l.rate <= 0 {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	b, ok := l.bkts[tokenID]
	if !ok {
		if len(l.bkts) >= l.nextSweep {
			l.nextSweep = sweep(l.bkts, maxBuckets, func(b *bucket) bool {
				return b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst // full again
			})
		}
		b = &bucket{tokens: l.burst, last: now}
		l.bkts[tokenID] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	remaining := math.Floor(b.tokens)
	// Seconds until one request is available again, and until the bucket is full.
	untilOne := math.Max(0, (1-b.tokens)/l.rate)
	untilFull := (l.burst - b.tokens) / l.rate
	l.mu.Unlock()

	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(int(l.burst)))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(remaining)))
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(untilFull))))
	// The sustained rate, which whole-second resets cannot convey (IETF
	// draft RateLimit-Policy: quota;w=window seconds).
	h.Set("RateLimit-Policy", strconv.FormatFloat(l.rate, 'g', -1, 64)+";w=1")
	if allowed {
		return nil
	}
	retry := int(math.Max(1, math.Ceil(untilOne)))
	p := newProblem(http.StatusTooManyRequests, api.CodeRateLimited,
		"rate limit of %g requests per second for this token exceeded; retry in %d s", l.rate, retry)
	p.retryAfter = retry
	return p
}
