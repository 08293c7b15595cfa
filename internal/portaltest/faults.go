package portaltest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is one way the network or the server can fail a request.
type Fault string

// The faults a FaultProxy injects.
const (
	// Fault429 answers 429 with Retry-After, as a rate limit does; the
	// request never reaches portald.
	Fault429 Fault = "429"
	// Fault503 answers 503 without reaching portald.
	Fault503 Fault = "503"
	// FaultReset cuts the connection before the request reaches portald.
	FaultReset Fault = "reset"
	// FaultSlow delays the request, then forwards it.
	FaultSlow Fault = "slow"
	// FaultLostAnswer forwards the request, so portald commits it, then
	// cuts the connection instead of passing the answer on.
	FaultLostAnswer Fault = "lost_answer"
)

// AllFaults are the faults a FaultProxy draws from.
var AllFaults = []Fault{Fault429, Fault503, FaultReset, FaultSlow, FaultLostAnswer}

// FaultProxy sits in front of a portald and fails a share of requests in the
// ways real networks and servers do. It counts what it did. Faults are drawn
// from a seeded source, so a failing run can be repeated.
type FaultProxy struct {
	URL string

	target *url.URL
	rate   float64
	slow   time.Duration

	mu       sync.Mutex
	rng      *rand.Rand
	requests int
	injected map[Fault]int
	// Before, when set, runs before a request is forwarded (after any fault
	// has been drawn). Tests use it to act at an exact moment of an apply.
	Before func(r *http.Request)
}

// StartFaultProxy starts a proxy to target failing rate (0..1) of requests,
// spread evenly over AllFaults, and stops it at cleanup.
func StartFaultProxy(t interface {
	Cleanup(func())
	Fatalf(string, ...any)
}, target string, rate float64, seed uint64) *FaultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("fault proxy target: %v", err)
	}
	p := &FaultProxy{target: u, rate: rate, slow: 300 * time.Millisecond,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), injected: map[Fault]int{}} //nolint:gosec // G404: a seeded generator, so a failing run can be replayed; nothing secret.
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(srv.Close)
	return p
}

// draw picks the fault for one request, or "".
func (p *FaultProxy) draw() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	if p.rng.Float64() >= p.rate {
		return ""
	}
	f := AllFaults[p.rng.IntN(len(AllFaults))]
	p.injected[f]++
	return f
}

// Stats reports how many requests the proxy saw and the faults it injected.
func (p *FaultProxy) Stats() (requests int, injected map[Fault]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.injected))
	for k, v := range p.injected {
		out[k] = v
	}
	return p.requests, out
}

// String summarises the stats, for test logs and reports.
func (p *FaultProxy) String() string {
	n, inj := p.Stats()
	var parts []string
	total := 0
	for _, f := range AllFaults {
		parts = append(parts, fmt.Sprintf("%s %d", f, inj[f]))
		total += inj[f]
	}
	return fmt.Sprintf("%d requests, %d faulted (%s)", n, total, strings.Join(parts, ", "))
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := p.draw()
	switch fault {
	case Fault429:
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"code":"rate_limited"}`, http.StatusTooManyRequests)
		return
	case Fault503:
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	case FaultReset:
		cut(w)
		return
	case FaultSlow:
		time.Sleep(p.slow)
	}
	if p.Before != nil {
		p.Before(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	res, answer, err := forward(p.target, r, body) //nolint:bodyclose // forward reads the body whole and closes it.
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if fault == FaultLostAnswer {
		cut(w) // portald has committed; the caller never hears of it
		return
	}
	relay(w, res, answer)
}

// relay passes an answer forward read on to the client.
func relay(w http.ResponseWriter, res *http.Response, body []byte) {
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

// forward sends the request, with its body read as body, on to the portald
// at target and reads the whole answer.
func forward(target *url.URL, r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := *target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
