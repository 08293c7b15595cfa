package portaltest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
)

// RoundRobin is a load balancer in front of several portald on one
// database: each request goes to the next replica in turn. A replica that
// refuses the connection (it is down) is passed over for the next one, as a
// balancer's passive health check does, since such a request never reached
// it; any other failure (a replica dying with the request in hand) answers
// 502, which the client retries wherever it lands next.
type RoundRobin struct {
	URL string

	targets []*url.URL
	mu      sync.Mutex
	next    int
	served  []int // answers relayed, per replica
	failed  int   // 502s answered
}

// StartRoundRobin starts a balancer over the replicas' base URLs and stops
// it at cleanup.
func StartRoundRobin(t interface {
	Cleanup(func())
	Fatalf(string, ...any)
}, replicas ...string) *RoundRobin {
	b := &RoundRobin{served: make([]int, len(replicas))}
	for _, r := range replicas {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatalf("replica %q: %v", r, err)
		}
		b.targets = append(b.targets, u)
	}
	srv := httptest.NewServer(b)
	b.URL = srv.URL
	t.Cleanup(srv.Close)
	return b
}

// Served is how many answers each replica gave through the balancer, in
// the order of StartRoundRobin's replicas, and how many requests it
// answered 502.
func (b *RoundRobin) Served() (perReplica []int, failed int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.served...), b.failed
}

func (b *RoundRobin) turn() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.next
	b.next = (b.next + 1) % len(b.targets)
	return i
}

func (b *RoundRobin) count(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 {
		b.failed++
		return
	}
	b.served[i]++
}

func (b *RoundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	first := b.turn()
	for k := range b.targets {
		i := (first + k) % len(b.targets)
		res, answer, err := forward(b.targets[i], r, body) //nolint:bodyclose // forward reads the body whole and closes it.
		if refused(err) {
			continue
		}
		if err != nil {
			b.count(-1)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		b.count(i)
		relay(w, res, answer)
		return
	}
	b.count(-1)
	http.Error(w, "no replica is up", http.StatusBadGateway)
}

// refused says whether err is a connection that could not be made: the
// request never reached the replica.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
