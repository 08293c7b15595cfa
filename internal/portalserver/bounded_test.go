package portalserver

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// Per-token and per-user state stays bounded however many tokens and users
// come by: state that no longer matters is dropped, and a cap holds when
// too much of it still does.

func TestRateLimiterForgetsBucketsThatFilledUp(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(10, 20) // a used bucket is full again 0.1 s later
	l.now = func() time.Time { return clock }
	peak := 0
	for i := range 200_000 {
		clock = clock.Add(time.Millisecond)
		if err := l.allow(httptest.NewRecorder(), "tok_"+strconv.Itoa(i)); err != nil {
			t.Fatalf("a token's first request was limited: %v", err)
		}
		peak = max(peak, len(l.bkts))
	}
	if peak > minSweep {
		t.Fatalf("200,000 tokens one at a time left up to %d buckets, want at most %d", peak, minSweep)
	}
	t.Logf("200,000 tokens one at a time: at most %d buckets held", peak)
}

func TestRateLimiterCapsLiveBucketsAndKeepsLimiting(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(1, 3)
	l.now = func() time.Time { return clock } // no time passes: no bucket fills up
	for range 3 {
		if err := l.allow(httptest.NewRecorder(), "busy"); err != nil {
			t.Fatal(err)
		}
	}
	peak := 0
	for i := range maxBuckets / 4 {
		_ = l.allow(httptest.NewRecorder(), "tok_"+strconv.Itoa(i))
		peak = max(peak, len(l.bkts))
	}
	// Sweeps ran (the map passed minSweep) and kept the busy token's empty bucket.
	if err := l.allow(httptest.NewRecorder(), "busy"); err == nil {
		t.Fatal("a token past its burst was let through after the limiter swept")
	}
	for i := range 3 * maxBuckets {
		_ = l.allow(httptest.NewRecorder(), "more_"+strconv.Itoa(i))
		peak = max(peak, len(l.bkts))
	}
	if peak > maxBuckets {
		t.Fatalf("%d live tokens left %d buckets, want at most %d", 3*maxBuckets, peak, maxBuckets)
	}
	t.Logf("%d tokens at one instant: at most %d buckets held", 3*maxBuckets+maxBuckets/4, peak)
}

func TestActivityForgetsUsersIdleForAMinute(t *testing.T) {
	a := newActivity()
	clock := time.Unix(1_800_000_000, 0)
	peak := 0
	for i := range 200_000 {
		clock = clock.Add(10 * time.Millisecond) // 6,000 users a minute
		if !a.due("usr_"+strconv.Itoa(i), clock) {
			t.Fatal("a user's first activity was not written")
		}
		a.written("usr_" + strconv.Itoa(i))
		peak = max(peak, len(a.last))
	}
	if peak > 2*6_000+minSweep {
		t.Fatalf("200,000 users at 6,000 a minute left up to %d entries, want about 12,000 at most", peak)
	}
	// Within the minute, the same user is not written again; after it, it is.
	if a.due("usr_199999", clock.Add(30*time.Second)) || !a.due("usr_199999", clock.Add(61*time.Second)) {
		t.Fatal("activity is no longer written once a minute per user")
	}
	for i := range 3 * maxActivity {
		a.due("more_"+strconv.Itoa(i), clock) // all within one minute: all live
		a.written("more_" + strconv.Itoa(i))
		peak = max(peak, len(a.last))
	}
	if peak > maxActivity {
		t.Fatalf("%d users active at once left %d entries, want at most %d", 3*maxActivity, peak, maxActivity)
	}
	t.Logf("at most %d entries held", peak)
}

// A request of a user whose activity another request is writing waits for
// that write: a listing answered beside it never shows the user older than
// a read right after.
func TestActivityWaitsForTheWriteInFlight(t *testing.T) {
	a := newActivity()
	now := time.Unix(1_800_000_000, 0)
	if !a.due("usr_a", now) {
		t.Fatal("a user's first activity was not written")
	}
	if a.due("usr_a", now.Add(2*time.Minute)) {
		t.Fatal("a second write was started while the first is in flight")
	}
	waited := make(chan struct{})
	go func() {
		a.wait(context.Background(), "usr_a")
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("wait returned while the write is in flight")
	case <-time.After(50 * time.Millisecond):
	}
	a.written("usr_a")
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return once the write was done")
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.due("usr_b", now)
	cancel()
	a.wait(ctx, "usr_b")                  // returns: the request is gone
	a.wait(context.Background(), "usr_c") // nothing in flight
	start := time.Now()
	a.wait(context.Background(), "usr_b") // never written: the wait is bounded
	if waited := time.Since(start); waited < activityWait/2 || waited > 5*activityWait {
		t.Fatalf("a wait for a write that never ends took %v, want about %v", waited, activityWait)
	}
}
