package portalserver

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
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
	return l.take(tokenID).answer(w, "this token")
}

// decision is what one request took from a bucket.
type decision struct {
	allowed bool
	rate    float64
	burst   float64
	tokens  float64 // left in the bucket
}

// take takes one request from the key's bucket, if it holds one.
func (l *rateLimiter) take(key string) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.bkts[key]
	if !ok {
		if len(l.bkts) >= l.nextSweep {
			l.nextSweep = sweep(l.bkts, maxBuckets, func(b *bucket) bool {
				return b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst // full again
			})
		}
		b = &bucket{tokens: l.burst, last: now}
		l.bkts[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	d := decision{allowed: b.tokens >= 1, rate: l.rate, burst: l.burst}
	if d.allowed {
		b.tokens--
	}
	d.tokens = b.tokens
	return d
}

// remaining is the whole requests left after the decision.
func (d decision) remaining() int { return int(math.Floor(d.tokens)) }

// answer sets the RateLimit headers of the decision and, when it refused
// the request, answers 429 with Retry-After; whose names what the bucket
// counts ("this token").
func (d decision) answer(w http.ResponseWriter, whose string) error {
	// Seconds until one request is available again, and until the bucket is full.
	untilOne := math.Max(0, (1-d.tokens)/d.rate)
	untilFull := (d.burst - d.tokens) / d.rate
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(int(d.burst)))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.remaining()))
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(untilFull))))
	// The sustained rate, which whole-second resets cannot convey (IETF
	// draft RateLimit-Policy: quota;w=window seconds).
	h.Set("RateLimit-Policy", strconv.FormatFloat(d.rate, 'g', -1, 64)+";w=1")
	if d.allowed {
		return nil
	}
	retry := int(math.Max(1, math.Ceil(untilOne)))
	p := newProblem(http.StatusTooManyRequests, api.CodeRateLimited,
		"rate limit of %g requests per second for %s exceeded; retry in %d s", d.rate, whose, retry)
	p.retryAfter = retry
	return p
}

// publicLimiter limits the public routes that take an emailed token
// (POST /v1/invites/accept and POST /v1/password-setup), where no API token
// names a bucket: per client address, before the body is read, and per
// prefix of the presented token, so that guessing one token from any number
// of addresses is bounded too. Each is a rateLimiter of its own, bounded as
// the per-token one is.
type publicLimiter struct {
	byAddr, byPrefix  *rateLimiter
	trustForwardedFor bool
}

// tokenPrefixLen is how much of a presented token names its bucket: the
// kind (invtok_, pws_) and a few random characters, so that legitimate
// tokens rarely share one.
const tokenPrefixLen = 12

// Defaults of the public limit: a burst of 10, then one request each 5 s.
const (
	defaultPublicRate  = 0.2
	defaultPublicBurst = 10
)

// newPublicLimiter returns nil, no limit, for a rate of 0 or less.
func newPublicLimiter(rate float64, burst int, trustForwardedFor bool) *publicLimiter {
	if rate <= 0 {
		return nil
	}
	return &publicLimiter{byAddr: newRateLimiter(rate, burst), byPrefix: newRateLimiter(rate, burst), trustForwardedFor: trustForwardedFor}
}

type addrDecisionKey struct{}

// limitAddress counts a public request against its client address, before
// anything else is done with it.
func (l *publicLimiter) limitAddress(h handler) handler {
	if l == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		d := l.byAddr.take(clientAddr(r, l.trustForwardedFor))
		if err := d.answer(w, "this client address"); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), addrDecisionKey{}, d)), p)
	}
}

// limitTokenPrefix counts a public request, once readRequest has read its
// body, against the prefix of the token it presents. The RateLimit headers
// are those of the bucket with fewer requests left.
func (l *publicLimiter) limitTokenPrefix(h handler) handler {
	if l == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		if prefix := tokenPrefix(bodyOf(r)); prefix != "" {
			d := l.byPrefix.take(prefix)
			byAddr, _ := r.Context().Value(addrDecisionKey{}).(decision)
			if !d.allowed || d.remaining() < byAddr.remaining() {
				if err := d.answer(w, "tokens that start as this one does"); err != nil {
					return err
				}
			}
		}
		return h(w, r, p)
	}
}

// tokenPrefix is the first tokenPrefixLen bytes of the body's "token", or
// "" when the body holds none (the handler then refuses the body).
func tokenPrefix(body []byte) string {
	var in struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &in) != nil {
		return ""
	}
	return in.Token[:min(len(in.Token), tokenPrefixLen)]
}

// clientAddr is the address a public request counts against: the host of
// RemoteAddr or, when portald runs behind a proxy it trusts, the last entry
// of X-Forwarded-For, the one that proxy appended (the entries before it
// are the client's to write). An IPv6 address counts by its /64, which one
// host commonly holds whole.
func clientAddr(r *http.Request, trustForwardedFor bool) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if trustForwardedFor {
		if values := r.Header.Values("X-Forwarded-For"); len(values) > 0 {
			entries := strings.Split(values[len(values)-1], ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(entries[len(entries)-1])); err == nil {
				host = a.String()
			}
		}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap().WithZone(""); a.Is6() {
		prefix, _ := a.Prefix(64)
		return prefix.String()
	}
	return a.String()
}
