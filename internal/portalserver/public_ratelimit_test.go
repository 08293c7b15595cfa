package portalserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// The public routes that take an emailed token are limited per client
// address and per token prefix (contract: "Rate limits").

// publicPortal is a portald with cfg whose handler a test calls with the
// client address of its choice; every exchange is checked against the contract.
type publicPortal struct {
	t *testing.T
	h http.Handler
}

func newPublicPortal(t *testing.T, cfg portalserver.Config) *publicPortal {
	cfg.DBPath = portaltest.Database(t)
	s, err := portalserver.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &publicPortal{t: t, h: portaltest.Conformance(t, s.Handler())}
}

// send posts an emailed token to a public route (accept or setup) from addr,
// with header pairs.
func (p *publicPortal) send(route, addr, token string, header ...string) *httptest.ResponseRecorder {
	p.t.Helper()
	path := map[string]string{"accept": "/v1/invites/accept", "setup": "/v1/password-setup"}[route]
	body, _ := json.Marshal(map[string]string{"token": token, "password": "correct horse battery"})
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.RemoteAddr = addr
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec
}

// want checks an answer's status and, for a 429, its problem code and Retry-After.
func (p *publicPortal) want(rec *httptest.ResponseRecorder, status int, what string) {
	p.t.Helper()
	if rec.Code != status {
		p.t.Fatalf("%s: %d, want %d: %s", what, rec.Code, status, rec.Body)
	}
	if status != http.StatusTooManyRequests {
		return
	}
	var pr api.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &pr); err != nil || pr.Code != api.CodeRateLimited {
		p.t.Fatalf("%s: problem %s, want code rate_limited", what, rec.Body)
	}
	if n, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || n < 1 {
		p.t.Fatalf("%s: Retry-After %q, want whole seconds, at least 1", what, rec.Header().Get("Retry-After"))
	}
}

// emailed is an emailed token with its own prefix (its first 12 characters) for each n.
func emailed(kind string, n int) string {
	return fmt.Sprintf("%s%0*d%040d", kind, 12-len(kind), n, n)
}

func TestPublicTokenRoutesAreLimitedPerClientAddress(t *testing.T) {
	p := newPublicPortal(t, portalserver.Config{PublicRateLimit: 0.001, PublicRateBurst: 3}) // no refill within the test
	a := "192.0.2.1:40000"
	for i, route := range []string{"accept", "setup", "accept"} {
		rec := p.send(route, a, emailed("invtok_", i))
		p.want(rec, http.StatusNotFound, "request "+strconv.Itoa(i+1)+" of a burst of 3")
		h := rec.Header()
		if h.Get("RateLimit-Limit") != "3" || h.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || h.Get("RateLimit-Reset") == "" || h.Get("RateLimit-Policy") != "0.001;w=1" {
			t.Fatalf("request %d: RateLimit headers %v, want limit 3, remaining %d, a reset and the policy", i+1, h, 2-i)
		}
	}
	rec := p.send("setup", a, emailed("pws_", 9))
	p.want(rec, http.StatusTooManyRequests, "the 4th request of the address, on the other route")
	if h := rec.Header(); h.Get("RateLimit-Limit") != "3" || h.Get("RateLimit-Remaining") != "0" || h.Get("RateLimit-Reset") == "" || h.Get("RateLimit-Policy") == "" {
		t.Fatalf("429 RateLimit headers %v, want limit 3 and remaining 0", h)
	}
	// The same address on another port, or claiming another in X-Forwarded-For, is still limited.
	p.want(p.send("accept", "192.0.2.1:40001", emailed("invtok_", 10)), http.StatusTooManyRequests, "another port")
	p.want(p.send("accept", a, emailed("invtok_", 11), "X-Forwarded-For", "198.51.100.7"), http.StatusTooManyRequests, "an untrusted X-Forwarded-For")
	// Another address is not.
	p.want(p.send("accept", "192.0.2.2:40000", emailed("invtok_", 12)), http.StatusNotFound, "another address")
	// IPv6 addresses count by their /64.
	for i := range 3 {
		p.want(p.send("accept", "[2001:db8::1]:1", emailed("invtok_", 20+i)), http.StatusNotFound, "IPv6 burst")
	}
	p.want(p.send("accept", "[2001:db8::ffff]:1", emailed("invtok_", 30)), http.StatusTooManyRequests, "another address of the same /64")
	p.want(p.send("accept", "[2001:db8:0:1::1]:1", emailed("invtok_", 31)), http.StatusNotFound, "another /64")
}

func TestPublicTokenRoutesAreLimitedPerTokenPrefix(t *testing.T) {
	p := newPublicPortal(t, portalserver.Config{PublicRateLimit: 0.001, PublicRateBurst: 3})
	guess := func(n int) string { return "invtok_abcde" + fmt.Sprintf("%043d", n) } // one prefix
	for i := range 3 {
		p.want(p.send("accept", fmt.Sprintf("10.0.0.%d:1", i+1), guess(i)), http.StatusNotFound, "a guess from a new address")
	}
	rec := p.send("accept", "10.0.0.99:1", guess(3))
	p.want(rec, http.StatusTooManyRequests, "a 4th guess of the prefix, from yet another address")
	if h := rec.Header(); h.Get("RateLimit-Remaining") != "0" || h.Get("RateLimit-Limit") != "3" {
		t.Fatalf("429 RateLimit headers %v, want the prefix bucket's: limit 3, remaining 0", h)
	}
	// Another prefix from a fresh address is not limited, and carries the
	// headers of the bucket with fewer requests left: a used address, a new prefix.
	p.want(p.send("accept", "10.0.0.100:1", emailed("invtok_", 1)), http.StatusNotFound, "another prefix")
	rec = p.send("setup", "10.0.0.1:1", emailed("pws_", 2))
	p.want(rec, http.StatusNotFound, "a new prefix from an address used once")
	if got := rec.Header().Get("RateLimit-Remaining"); got != "1" {
		t.Fatalf("RateLimit-Remaining %q, want 1: the address's bucket, which has fewer left than the new prefix's", got)
	}
}

func TestPublicRateLimitTrustsForwardedForOnlyWhenConfigured(t *testing.T) {
	p := newPublicPortal(t, portalserver.Config{PublicRateLimit: 0.001, PublicRateBurst: 1, TrustForwardedFor: true})
	proxy := "10.1.1.1:5000"
	p.want(p.send("accept", proxy, emailed("invtok_", 1), "X-Forwarded-For", "203.0.113.9, 198.51.100.1"), http.StatusNotFound, "first client")
	// The entries before the last are the client's to write: only the last counts.
	p.want(p.send("accept", proxy, emailed("invtok_", 2), "X-Forwarded-For", "203.0.113.10, 198.51.100.1"), http.StatusTooManyRequests, "first client again")
	p.want(p.send("accept", proxy, emailed("invtok_", 3), "X-Forwarded-For", "198.51.100.1, 198.51.100.2"), http.StatusNotFound, "second client")
}

func TestPublicRateLimitIsOnByDefault(t *testing.T) {
	p := newPublicPortal(t, portalserver.Config{}) // the per-token limit is off
	for i := range 10 {
		rec := p.send("accept", "192.0.2.1:1", emailed("invtok_", i))
		p.want(rec, http.StatusNotFound, "within the default burst")
		if h := rec.Header(); h.Get("RateLimit-Limit") != "10" || h.Get("RateLimit-Policy") != "0.2;w=1" {
			t.Fatalf("default RateLimit headers %v, want limit 10 and policy 0.2;w=1", h)
		}
	}
	p.want(p.send("accept", "192.0.2.1:1", emailed("invtok_", 10)), http.StatusTooManyRequests, "past the default burst of 10")

	off := newPublicPortal(t, portalserver.Config{PublicRateLimit: -1})
	for i := range 20 {
		rec := off.send("accept", "192.0.2.1:1", emailed("invtok_", i))
		off.want(rec, http.StatusNotFound, "with the public limit off")
		if rec.Header().Get("RateLimit-Limit") != "" {
			t.Fatalf("RateLimit headers with the public limit off: %v", rec.Header())
		}
	}
}
