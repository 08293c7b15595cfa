package portalserver

import (
	"strconv"
	"testing"
	"time"
)

// The public limit's buckets, by address and by token prefix, stay within
// maxBuckets however many addresses and prefixes come at once.
func TestPublicLimiterCapsItsBuckets(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	l := newPublicLimiter(defaultPublicRate, defaultPublicBurst, false)
	for _, b := range []*rateLimiter{l.byAddr, l.byPrefix} {
		b.now = func() time.Time { return clock } // no time passes: every bucket stays live
	}
	peak := 0
	for i := range 3 * maxBuckets {
		key := strconv.Itoa(i)
		l.byAddr.take("198.51." + key)
		l.byPrefix.take("invtok_" + key)
		peak = max(peak, len(l.byAddr.bkts), len(l.byPrefix.bkts))
	}
	if peak > maxBuckets {
		t.Fatalf("%d addresses and prefixes at one instant left %d buckets, want at most %d", 3*maxBuckets, peak, maxBuckets)
	}
	t.Logf("%d addresses and prefixes at one instant: at most %d buckets held per limiter", 3*maxBuckets, peak)
}
