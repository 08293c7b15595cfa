package client

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pacer keeps the client under the portal's rate limit instead of running
// into 429s. It learns the server's token bucket from the RateLimit-Limit
// (burst), RateLimit-Remaining and RateLimit-Reset (seconds until full)
// headers, keeps its own estimate of the bucket, and before each attempt
// takes one request from it, waiting when it is empty. Until the first
// answer with these headers it does not hold anything back; a 429 that gets
// through anyway is still retried after its Retry-After.
type pacer struct {
	mu     sync.Mutex
	known  bool
	burst  float64
	rate   float64 // requests per second, the highest estimate seen
	tokens float64 // may go negative: requests reserved ahead of the refill
	// inflight counts requests sent and not answered yet: an answer's
	// RateLimit-Remaining does not know about them, but they will use it up.
	inflight int
	last     time.Time
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

func newPacer() *pacer {
	return &pacer{now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// refill brings the estimate up to now; p.mu is held.
func (p *pacer) refill() {
	now := p.now()
	p.tokens = math.Min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
}

// reserve takes one request from the bucket and says how long to wait for it.
func (p *pacer) reserve() (wait time.Duration, remaining float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight++
	if !p.known {
		return 0, 0
	}
	p.refill()
	p.tokens--
	if p.tokens >= 0 {
		return 0, p.tokens
	}
	return time.Duration(-p.tokens / p.rate * float64(time.Second)), p.tokens
}

// wait blocks until the next request fits the limit, logging why it waits.
// A nil pacer never waits.
func (p *pacer) wait(ctx context.Context, logger Logger, method, path string) error {
	if p == nil {
		return nil
	}
	wait, remaining := p.reserve()
	if wait <= 0 {
		return nil
	}
	p.mu.Lock()
	f := map[string]any{"method": method, "path": path, "wait": wait.Round(time.Millisecond).String(),
		"rate_per_second": fmt.Sprintf("%.1f", p.rate), "burst": p.burst, "queued_ahead": int(-remaining)}
	p.mu.Unlock()
	logger.Warn(ctx, "pacing requests to stay under the portal's rate limit", f)
	return p.sleep(ctx, wait)
}

// parsePolicy reads "20;w=1" (quota 20 per window of 1 s), the IETF draft's
// RateLimit-Policy, tolerating a quoted name and q= forms: `"default";q=20;w=1`.
func parsePolicy(v string) (quota, window float64, ok bool) {
	if v == "" {
		return 0, 0, false
	}
	for i, part := range strings.Split(strings.SplitN(v, ",", 2)[0], ";") {
		k, val, kv := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseFloat(val, 64)
		switch {
		case !kv && i == 0:
			quota, err = strconv.ParseFloat(k, 64)
			if err != nil {
				quota = 0 // a quoted policy name
			}
		case kv && err == nil && k == "q":
			quota = n
		case kv && err == nil && k == "w":
			window = n
		}
	}
	return quota, window, quota > 0 && window > 0
}

// observe learns from an attempt's answer (nil when it failed) and its
// RateLimit headers.
func (p *pacer) observe(resp *http.Response) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.inflight = max(0, p.inflight-1)
	p.mu.Unlock()
	if resp == nil {
		return
	}
	limit, errL := strconv.ParseFloat(resp.Header.Get("RateLimit-Limit"), 64)
	remaining, errR := strconv.ParseFloat(resp.Header.Get("RateLimit-Remaining"), 64)
	reset, errS := strconv.ParseFloat(resp.Header.Get("RateLimit-Reset"), 64)
	if errL != nil || errR != nil || errS != nil || limit <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		p.known, p.last, p.tokens = true, p.now(), remaining
	}
	p.burst = limit
	if q, w, ok := parsePolicy(resp.Header.Get("RateLimit-Policy")); ok {
		p.rate = q / w
	}
	// Reset is rounded up to whole seconds, so (limit-remaining)/reset never
	// overestimates the rate; keep the highest estimate seen.
	if reset > 0 && remaining < limit {
		p.rate = math.Max(p.rate, (limit-remaining)/reset)
	}
	if p.rate <= 0 {
		p.rate = limit // no better estimate yet: assume a burst per second
	}
	p.refill()
	// The server's count is the truth at the time of the answer, less the
	// requests still on their way, which it has not counted yet.
	p.tokens = math.Min(p.tokens, remaining-float64(p.inflight))
	if resp.StatusCode == http.StatusTooManyRequests {
		p.tokens = math.Min(p.tokens, 0)
	}
}
