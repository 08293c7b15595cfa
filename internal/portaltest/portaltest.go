// Package portaltest runs a real portald for tests: the server's handler on a
// loopback listener with a fresh database (a SQLite file, or a PostgreSQL
// database: see Database), every request and response
// checked against the OpenAPI contract, and the first partner bootstrapped.
package portaltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
)

// Options change the server a test gets.
type Options struct {
	RateLimit float64
	RateBurst int
	// NoConformance turns the contract check off, for tests that send what
	// no client would (a fuzzer, say).
	NoConformance bool
}

// Env is one running portald with a bootstrapped partner.
type Env struct {
	URL    string
	DBPath string // a SQLite file or a PostgreSQL URL (Database)
	Server *portalserver.Server

	OperatorToken string
	PartnerID     string
	OwnerID       string
	OwnerToken    string

	opts Options
}

// Start runs a portald in --dev mode for the test and stops it at cleanup.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	db := Database(t)
	srv, url := serve(t, db, opts)
	ctx := context.Background()
	owner, err := srv.Bootstrap(ctx, portalserver.BootstrapOptions{PartnerName: "Acme", OwnerEmail: "owner@acme.test"})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	op, err := srv.Bootstrap(ctx, portalserver.BootstrapOptions{Operator: true})
	if err != nil {
		t.Fatalf("bootstrap operator: %v", err)
	}
	return &Env{URL: url, DBPath: db, Server: srv, OperatorToken: op.Token,
		PartnerID: owner.PartnerID, OwnerID: owner.UserID, OwnerToken: owner.Token, opts: opts}
}

// Replica runs another portald on the Env's database, as a second replica
// behind a load balancer would run: the same partner and tokens, its own
// process state (rate limits, caches) and URL.
func (e *Env) Replica(t testing.TB) *Env {
	t.Helper()
	r := *e
	r.Server, r.URL = serve(t, e.DBPath, e.opts)
	return &r
}

// serve opens a portald on db and serves it on loopback until cleanup.
func serve(t testing.TB, db string, opts Options) (*portalserver.Server, string) {
	t.Helper()
	srv, err := portalserver.Open(context.Background(), portalserver.Config{DBPath: db, Dev: true, RateLimit: opts.RateLimit, RateBurst: opts.RateBurst})
	if err != nil {
		t.Fatalf("open portald: %v", err)
	}
	h := srv.Handler()
	if !opts.NoConformance {
		h = Conformance(t, h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return srv, ts.URL
}

var contract struct {
	doc    *openapi3.T
	router routers.Router
	err    error
}

func init() {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		contract.err = err
		return
	}
	doc.Servers = nil // match any host: the test server's port is random
	if contract.err = doc.Validate(loader.Context); contract.err != nil {
		return
	}
	contract.doc = doc
	contract.router, contract.err = gorillamux.NewRouter(doc)
}

// Conformance wraps a handler so that every exchange is checked against the
// OpenAPI contract: a response must be one the contract documents for its
// operation, with the documented headers and body; a request the contract
// refuses must be refused by the server too (a 4xx), and a path or method the
// contract lacks must answer 404, or 405 with an Allow header.
func Conformance(t testing.TB, next http.Handler) http.Handler {
	if contract.err != nil {
		t.Fatalf("the OpenAPI contract does not load: %v", contract.err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		what := r.Method + " " + r.URL.RequestURI()
		check := r.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := contract.router.FindRoute(check)
		if err != nil {
			switch {
			case rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed:
				t.Errorf("contract: %s is not in the contract, yet answered %d", what, rec.Code)
			case rec.Code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "":
				t.Errorf("contract: %s answered 405 without an Allow header", what)
			}
			return
		}
		in := &openapi3filter.RequestValidationInput{
			Request: check, PathParams: params, Route: route,
			Options: &openapi3filter.Options{
				MultiError: true,
				AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
					if !strings.HasPrefix(ai.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
						return fmt.Errorf("no bearer token")
					}
					return nil
				},
			},
		}
		if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil && (rec.Code < 400 || rec.Code > 499) {
			t.Errorf("contract: the contract refuses %s (%v), yet the server answered %d", what, reqErr, rec.Code)
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("contract: the answer %d to %s does not conform: %v\nbody: %s", rec.Code, what, err, truncate(rec.Body.String()))
		}
	})
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// Response is one raw answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Problem decodes a problem+json answer.
func (r *Response) Problem(t testing.TB) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("answer %d is not a problem: %v: %s", r.Status, err, r.Body)
	}
	return p
}

// Decode decodes a JSON answer into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode answer %d: %v: %s", r.Status, err, r.Body)
	}
}

// Do sends one request. body may be nil, a []byte or string (sent as is) or
// a value (sent as JSON). headers are name, value pairs.
func (e *Env) Do(t testing.TB, token, method, path string, body any, headers ...string) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
