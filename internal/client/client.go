// Package client is the typed Go client of Portal API v1.
//
// It speaks the wire types of package api, retries what is safe to retry
// (see transport.go), and turns every error answer into an *APIError that
// works with errors.Is and the sentinels of errors.go. It imports nothing
// from Terraform: the provider plugs its logger in through Logger.
package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultUserAgent is the User-Agent sent when Config.UserAgent is empty.
const DefaultUserAgent = "terraform-provider-portal/dev"

const (
	defaultMaxRetries         = 4
	defaultRequestTimeout     = 30 * time.Second
	defaultFirstAnswerTimeout = 10 * time.Second
	defaultRetryWaitMin       = 250 * time.Millisecond
	defaultRetryWaitMax       = 15 * time.Second

	// waitNotice is how long an attempt waits for an answer before the
	// wait is logged, at INFO.
	waitNotice = 5 * time.Second

	// maxIdleConnsPerHost keeps connections for Terraform's parallel operations.
	maxIdleConnsPerHost = 32

	// maxResponseBytes bounds how much of an answer is read.
	maxResponseBytes = 32 << 20
)

// Config configures a Client. Only Endpoint and Token are required.
type Config struct {
	// Endpoint is the absolute http(s) URL of the portal, such as
	// "https://portal.example.com"; the /v1 routes are appended to it. An
	// endpoint that already ends in /v1, such as the base URL of the API
	// ("https://portal.example.com/v1" or ".../v1/"), is taken without it,
	// so that requests go to /v1/... rather than /v1/v1/....
	Endpoint string
	// Token is the API token, sent as "Authorization: Bearer <token>".
	// It is never logged nor put in an error.
	Token string
	// MaxRetries is how many times a retryable request is tried again:
	// 0 means the default (4), a negative number means no retries.
	MaxRetries int
	// RequestTimeout bounds each attempt (default 30s).
	RequestTimeout time.Duration
	// FirstAnswerTimeout bounds, until the endpoint has answered once, how
	// long an attempt may take to connect and receive the answer's headers
	// (default 10s, never more than RequestTimeout; negative: no such
	// bound). A portal answers its first request in well under a second;
	// an endpoint that accepts connections and never answers is then found
	// out in seconds, while slow answers later in a run, from a portal that
	// has proved alive, get the whole RequestTimeout.
	//
	// Whatever MaxRetries says, an attempt that got no answer in time
	// (within this bound or RequestTimeout) is tried again once at most:
	// each such attempt costs the whole wait, and a portal that did not
	// answer twice is not answering.
	FirstAnswerTimeout time.Duration
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// attempts (defaults 250ms and 15s). A Retry-After answer is honoured
	// beyond RetryWaitMax, up to 60s.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// UserAgent is sent as User-Agent (default DefaultUserAgent).
	UserAgent string
	// HTTPClient, when set, is copied and used for every attempt; its
	// Timeout is replaced by RequestTimeout.
	HTTPClient *http.Client
	// Logger receives one entry per attempt and per retry (optional). A
	// Logger that is also an InfoLogger receives the waits for an answer at
	// INFO; any other receives them at Warn.
	Logger Logger
}

// String describes the configuration with the token redacted.
func (c Config) String() string {
	return fmt.Sprintf("client.Config{Endpoint: %q, Token: %s, MaxRetries: %d, RequestTimeout: %s, FirstAnswerTimeout: %s, RetryWaitMin: %s, RetryWaitMax: %s, UserAgent: %q}",
		c.Endpoint, redactedIfSet(c.Token), c.MaxRetries, c.RequestTimeout, c.FirstAnswerTimeout, c.RetryWaitMin, c.RetryWaitMax, c.UserAgent)
}

// GoString is String, so that %#v does not print the token either.
func (c Config) GoString() string { return c.String() }

func redactedIfSet(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

const redacted = "[redacted]"

// Client is a Portal API v1 client. It is safe for concurrent use.
type Client struct {
	// Me tells who the token is.
	Me *MeService
	// Partners manages partner companies.
	Partners *PartnersService
	// Roles manages the roles of a partner.
	Roles *RolesService
	// Users manages the users of a partner.
	Users *UsersService
	// Grants manages the roles one user holds.
	Grants *GrantsService
	// Invites manages invitations by email.
	Invites *InvitesService
	// Audit reads the audit trail.
	Audit *AuditService
	// Tokens mints API tokens.
	Tokens *TokensService
	// Password completes a new user's password setup.
	Password *PasswordService
	// Dev reaches the routes of a portald started with --dev.
	Dev *DevService

	endpoint   string // absolute, without a trailing slash
	token      string
	userAgent  string
	httpClient *http.Client
	logger     Logger
	maxRetries int
	waitMin    time.Duration
	waitMax    time.Duration
	pacer      *pacer

	requestTimeout time.Duration
	firstAnswer    *firstAnswer // the transport that bounds the wait for the endpoint's first answer
	waitNotice     time.Duration
}

// New returns a Client for cfg. It makes no network call.
func New(cfg Config) (*Client, error) {
	endpoint, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("portal client: token is empty")
	}
	if strings.ContainsAny(cfg.Token, " \t\r\n") {
		return nil, errors.New("portal client: token contains whitespace")
	}
	c := &Client{
		endpoint:   endpoint,
		token:      cfg.Token,
		userAgent:  cmp.Or(cfg.UserAgent, DefaultUserAgent),
		logger:     cfg.Logger,
		maxRetries: max(cfg.MaxRetries, 0),
		waitMin:    cmp.Or(cfg.RetryWaitMin, defaultRetryWaitMin),
		waitMax:    cmp.Or(cfg.RetryWaitMax, defaultRetryWaitMax),
		pacer:      newPacer(),
	}
	if cfg.MaxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	}
	timeout := cmp.Or(cfg.RequestTimeout, defaultRequestTimeout)
	switch {
	case cfg.RequestTimeout < 0 || cfg.RetryWaitMin < 0 || cfg.RetryWaitMax < 0:
		return nil, errors.New("portal client: RequestTimeout, RetryWaitMin and RetryWaitMax must not be negative")
	case c.waitMin > c.waitMax:
		return nil, fmt.Errorf("portal client: RetryWaitMin (%s) is above RetryWaitMax (%s)", c.waitMin, c.waitMax)
	}
	if c.logger == nil {
		c.logger = nopLogger{}
	}
	c.requestTimeout = timeout
	c.waitNotice = waitNotice
	c.httpClient, c.firstAnswer = newHTTPClient(cfg.HTTPClient, timeout, firstAnswerLimit(cfg.FirstAnswerTimeout, timeout))

	c.Me = &MeService{c}
	c.Partners = &PartnersService{c}
	c.Roles = &RolesService{c}
	c.Users = &UsersService{c}
	c.Grants = &GrantsService{c}
	c.Invites = &InvitesService{c}
	c.Audit = &AuditService{c}
	c.Tokens = &TokensService{c}
	c.Password = &PasswordService{c}
	c.Dev = &DevService{c}
	return c, nil
}

// String describes the client without its token.
func (c *Client) String() string {
	return fmt.Sprintf("client.Client{Endpoint: %q, UserAgent: %q, Token: %s}", c.endpoint, c.userAgent, redacted)
}

// GoString is String, so that %#v does not print the token either.
func (c *Client) GoString() string { return c.String() }

func parseEndpoint(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", errors.New("portal client: endpoint is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("portal client: endpoint is not a valid URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("portal client: endpoint %q must be an absolute http or https URL", u.Redacted())
	case u.Host == "":
		return "", fmt.Errorf("portal client: endpoint %q has no host", u.Redacted())
	case u.User != nil:
		return "", errors.New("portal client: endpoint must not carry credentials; use the token")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("portal client: endpoint %q must not have a query or fragment", u.Redacted())
	}
	endpoint := strings.TrimRight(u.String(), "/")
	// The routes carry /v1 themselves: an endpoint given as the API's base
	// URL would otherwise send every request to /v1/v1/... and get 404s.
	if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v1") {
		endpoint = strings.TrimSuffix(endpoint, "/v1")
	}
	return endpoint, nil
}

// firstAnswerLimit is the bound on the wait for the endpoint's first
// answer: FirstAnswerTimeout or its default, 0 (none) when negative or not
// below the request timeout, which then bounds the wait on its own.
func firstAnswerLimit(configured, requestTimeout time.Duration) time.Duration {
	limit := cmp.Or(configured, defaultFirstAnswerTimeout)
	if limit < 0 || limit >= requestTimeout {
		return 0
	}
	return limit
}

// newHTTPClient copies the injected client (or makes one) with the request
// timeout, its transport wrapped in the first-answer bound.
func newHTTPClient(injected *http.Client, timeout, firstAnswerLimit time.Duration) (*http.Client, *firstAnswer) {
	var hc http.Client
	if injected != nil {
		hc = *injected
	} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
		tr := t.Clone()
		// Terraform runs 10 operations at once by default; with Go's default
		// of 2 idle connections per host, most requests of a bulk apply
		// would open a new connection.
		tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
		hc.Transport = tr
	}
	hc.Timeout = timeout
	fa := &firstAnswer{base: hc.Transport, limit: firstAnswerLimit}
	if fa.base == nil {
		fa.base = http.DefaultTransport
	}
	hc.Transport = fa
	return &hc, fa
}

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns a context whose POST requests carry key as
// their Idempotency-Key instead of a generated one. Use it to make a create
// repeatable across separate calls: the server replays the first answer for
// the same key and body.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

// request describes one call of the API.
type request struct {
	method  string
	path    string // escaped, from pathf
	query   url.Values
	body    any   // nil: no body
	version int64 // > 0: sent as If-Match
	// idempotent marks a POST that carries an Idempotency-Key, generated
	// once per call so that every retry sends the same key and body.
	idempotent bool
}

func get(path string, query url.Values) request {
	return request{method: http.MethodGet, path: path, query: query}
}

// post is a POST that carries an Idempotency-Key, as every POST under /v1
// does except the public and dev ones, so it may be retried safely.
func post(path string, body any) request {
	return request{method: http.MethodPost, path: path, body: body, idempotent: true}
}

func patch(path string, body any, version int64) request {
	return request{method: http.MethodPatch, path: path, body: body, version: version}
}

func del(path string, version int64) request {
	return request{method: http.MethodDelete, path: path, version: version}
}

// pathf fills format with the path-escaped ids.
func pathf(format string, ids ...string) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = url.PathEscape(id)
	}
	return fmt.Sprintf(format, args...)
}

// doJSON sends r and decodes the answer into a new T.
func doJSON[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var v T
	if err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// do sends r and decodes a successful answer into out (unless out is nil or
// the answer is 204). An error answer becomes an *APIError.
func (c *Client) do(ctx context.Context, r request, out any) error {
	fail := func(err error) error { return fmt.Errorf("portal API: %s %s: %w", r.method, r.path, err) }
	if err := checkPath(r.path); err != nil {
		return fail(err)
	}
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return fail(err)
	}
	resp, err := c.send(ctx, req, r.path)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	body, readErr := readBody(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(r.method, r.path, resp, body, c.token)
	}
	switch {
	case readErr != nil:
		return fail(readErr)
	case out == nil || resp.StatusCode == http.StatusNoContent:
		return nil
	case len(bytes.TrimSpace(body)) == 0:
		return fail(fmt.Errorf("%d answer has an empty body", resp.StatusCode))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fail(fmt.Errorf("decode %d answer: %w", resp.StatusCode, err))
	}
	return nil
}

// checkPath refuses a path with an empty, "." or ".." segment: an id the
// caller left empty would otherwise reach another route.
func checkPath(path string) error {
	for seg := range strings.SplitSeq(strings.TrimPrefix(path, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("an id in the path is empty or invalid")
		}
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, r request) (*retryablehttp.Request, error) {
	var body any // a nil interface, not a nil []byte, when there is no body
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		body = b
	}
	u := c.endpoint + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Authorization", "Bearer "+c.token)
	h.Set("User-Agent", c.userAgent)
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	if r.version > 0 {
		h.Set("If-Match", strconv.Quote(strconv.FormatInt(r.version, 10)))
	}
	if r.method == http.MethodPost {
		key, err := idempotencyKey(ctx, r.idempotent)
		if err != nil {
			return nil, err
		}
		if key != "" {
			h.Set("Idempotency-Key", key)
		}
	}
	return req, nil
}

// idempotencyKey is the key of the context, or a new random 128-bit key
// for a request marked idempotent, or "".
func idempotencyKey(ctx context.Context, generate bool) (string, error) {
	if key, ok := ctx.Value(idempotencyKeyCtx{}).(string); ok {
		if !validIdempotencyKey(key) {
			return "", errors.New("idempotency key must be 1 to 255 printable ASCII characters")
		}
		return key, nil
	}
	if !generate {
		return "", nil
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:]), nil
}

func validIdempotencyKey(key string) bool {
	if len(key) < 1 || len(key) > 255 {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// readBody reads at most maxResponseBytes of body; it reports a longer body
// as an error along with what it read.
func readBody(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxResponseBytes+1))
	if err != nil {
		return b, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxResponseBytes {
		return b[:maxResponseBytes], fmt.Errorf("answer is larger than %d MiB", maxResponseBytes>>20)
	}
	return b, nil
}
