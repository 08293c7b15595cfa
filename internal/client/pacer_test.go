package client

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func rateHeaders(limit, remaining, reset string) *http.Response {
	h := http.Header{}
	h.Set("RateLimit-Limit", limit)
	h.Set("RateLimit-Remaining", remaining)
	h.Set("RateLimit-Reset", reset)
	return &http.Response{StatusCode: http.StatusOK, Header: h}
}

func TestPacerWaitsOnlyOnceTheBucketIsEmpty(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newPacer()
	p.now = func() time.Time { return now }
	if w, _ := p.reserve(); w != 0 {
		t.Fatalf("before any RateLimit header the pacer waits %v, want 0", w)
	}
	// 5 a second with a burst of 10, and the bucket already empty.
	p.observe(rateHeaders("10", "0", "2"))
	if p.rate != 5 || p.burst != 10 {
		t.Fatalf("learned rate %v burst %v, want 5 and 10", p.rate, p.burst)
	}
	for i, want := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond} {
		if w, _ := p.reserve(); w != want {
			t.Fatalf("reservation %d waits %v, want %v", i, w, want)
		}
	}
	// A second later five requests have been refilled: the three owed and two more.
	now = now.Add(time.Second)
	for range 2 {
		if w, _ := p.reserve(); w != 0 {
			t.Fatalf("after the refill a request waits %v", w)
		}
	}
	if w, _ := p.reserve(); w != 200*time.Millisecond {
		t.Fatalf("past the refill a request waits %v, want 200ms", w)
	}
}

func TestPacerLearnsTheHighestRateAndTrustsTheServersCount(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newPacer()
	p.now = func() time.Time { return now }
	p.observe(rateHeaders("40", "30", "1")) // rounded up: looks like 10/s
	p.observe(rateHeaders("40", "0", "2"))  // empty: 20/s
	p.observe(rateHeaders("40", "35", "1")) // rounding again: keep 20/s
	if p.rate != 20 {
		t.Fatalf("rate %v, want the highest estimate 20", p.rate)
	}
	if p.tokens != 0 {
		t.Fatalf("tokens %v: the server said 0 remained before, and nothing refilled since", p.tokens)
	}
	// Two requests on their way: the next answer's count does not include them.
	now = now.Add(2 * time.Second)
	p.reserve()
	p.reserve()
	p.reserve()
	p.observe(rateHeaders("40", "20", "1"))
	if p.tokens != 18 {
		t.Fatalf("tokens %v after an answer of 20 remaining with 2 requests still in flight, want 18", p.tokens)
	}
	too := rateHeaders("40", "3", "1")
	too.StatusCode = http.StatusTooManyRequests
	now = now.Add(time.Second)
	p.observe(too)
	if p.tokens > 0 {
		t.Fatalf("after a 429 the pacer believes %v requests remain", p.tokens)
	}
}

func TestPacerWaitEndsWithTheContext(t *testing.T) {
	p := newPacer()
	p.observe(rateHeaders("1", "0", "60")) // one request a minute
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logged := &captureLogger{}
	if err := p.wait(ctx, logged, "GET", "/v1/me"); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context = %v, want context.Canceled", err)
	}
	if got := logged.text(); got == "" {
		t.Fatal("a pacing wait was not logged")
	}
}

func TestPacerUsesThePolicyRate(t *testing.T) {
	p := newPacer()
	resp := rateHeaders("5", "0", "1") // whole-second reset: looks like 5/s
	resp.Header.Set("RateLimit-Policy", "20;w=1")
	p.observe(resp)
	if p.rate != 20 {
		t.Fatalf("rate %v, want 20 from RateLimit-Policy", p.rate)
	}
	for v, want := range map[string][2]float64{`"default";q=100;w=60`: {100, 60}, "0.5;w=1": {0.5, 1}, "garbage": {0, 0}} {
		q, w, _ := parsePolicy(v)
		if q != want[0] || w != want[1] {
			t.Errorf("parsePolicy(%q) = %v, %v, want %v", v, q, w, want)
		}
	}
}
