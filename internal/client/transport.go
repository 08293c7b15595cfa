package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// All transport behaviour lives in this file: which answers are retried,
// how long to wait, what is logged.

// Logger receives the client's log entries; the provider plugs tflog in.
// Entries never carry the token nor any request header.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// InfoLogger is a Logger that also takes entries at INFO level: an attempt
// that has been waiting for an answer for a while. A Logger that is not an
// InfoLogger receives those entries at Warn, so that they show wherever
// INFO entries would.
type InfoLogger interface {
	Logger
	Info(ctx context.Context, msg string, fields map[string]any)
}

// logInfo logs at INFO if l can, otherwise at Warn.
func logInfo(ctx context.Context, l Logger, msg string, fields map[string]any) {
	if il, ok := l.(InfoLogger); ok {
		il.Info(ctx, msg, fields)
		return
	}
	l.Warn(ctx, msg, fields)
}

type nopLogger struct{}

func (nopLogger) Debug(context.Context, string, map[string]any) {}
func (nopLogger) Warn(context.Context, string, map[string]any)  {}

const (
	// maxRetryAfter caps how long a Retry-After answer may make us wait.
	maxRetryAfter = 60 * time.Second
	// maxNoAnswerAttempts is how many attempts of one call may end with no
	// answer in time before the call gives up, whatever MaxRetries says.
	maxNoAnswerAttempts = 2
)

// firstAnswer is the client's transport. Until the endpoint has answered
// once, it bounds how long an attempt may take to connect and receive the
// answer's headers; afterwards it only passes requests on, and the
// request timeout alone bounds an attempt.
type firstAnswer struct {
	base     http.RoundTripper
	limit    time.Duration // 0: no bound
	answered atomic.Bool
}

// noFirstAnswer is the error of an attempt that hit the first-answer bound.
type noFirstAnswer struct{ limit time.Duration }

func (e *noFirstAnswer) Error() string {
	return fmt.Sprintf("no answer within %s (the bound on a first answer)", e.limit)
}

// Timeout makes it a net.Error that timed out, as the request timeout's is.
func (e *noFirstAnswer) Timeout() bool   { return true }
func (e *noFirstAnswer) Temporary() bool { return true }

// bound is the wait an attempt starting now is allowed for its answer's
// headers: the first-answer bound until the endpoint answered, otherwise
// requestTimeout.
func (t *firstAnswer) bound(requestTimeout time.Duration) time.Duration {
	if t == nil || t.limit == 0 || t.answered.Load() {
		return requestTimeout
	}
	return t.limit
}

func (t *firstAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.limit == 0 || t.answered.Load() {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	timeout := &noFirstAnswer{t.limit}
	timer := time.AfterFunc(t.limit, func() { cancel(timeout) })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	inTime := timer.Stop()
	switch {
	case err == nil && inTime:
		t.answered.Store(true)
		resp.Body = cancelOnClose{resp.Body, func() { cancel(nil) }}
		return resp, nil
	case err == nil: // the headers came as the bound ran out: the body is cut off
		_ = resp.Body.Close()
	}
	cancel(nil)
	if !inTime && req.Context().Err() == nil {
		return nil, timeout
	}
	return nil, err
}

// cancelOnClose releases a request's context once its answer is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// noAnswerWithin says how long the attempt that failed with err waited for
// an answer in vain, or 0 when it did not time out.
func noAnswerWithin(err error, requestTimeout time.Duration) time.Duration {
	var first *noFirstAnswer
	if errors.As(err, &first) {
		return first.limit
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return requestTimeout
	}
	return 0
}

// send performs req with retries. It hands back the last answer when
// retries run out on a retryable status, so the caller decodes its problem.
func (c *Client) send(ctx context.Context, req *retryablehttp.Request, path string) (*http.Response, error) {
	a := &attempts{
		ctx:            ctx,
		pacer:          c.pacer,
		logger:         c.logger,
		method:         req.Method,
		path:           path,
		safe:           retrySafe(req.Method, req.Header),
		waitMax:        c.waitMax,
		retryMax:       c.maxRetries,
		endpoint:       c.endpoint,
		requestTimeout: c.requestTimeout,
		firstAnswer:    c.firstAnswer,
		waitNotice:     c.waitNotice,
	}
	rc := &retryablehttp.Client{
		HTTPClient:     c.httpClient,
		Logger:         nil, // we log through the hooks below, never the headers
		RetryWaitMin:   c.waitMin,
		RetryWaitMax:   c.waitMax,
		RetryMax:       c.maxRetries,
		RequestLogHook: a.before,
		CheckRetry:     a.check,
		Backoff:        a.backoff,
		ErrorHandler:   a.giveUp,
	}
	return rc.Do(req)
}

// retrySafe reports whether a 5xx answer or a connection error may be
// retried: the method is idempotent, or the POST carries an Idempotency-Key
// so the server replays rather than repeats it.
func retrySafe(method string, h http.Header) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	case http.MethodPost:
		return h.Get("Idempotency-Key") != ""
	}
	return false
}

// retryReason says why an attempt is to be retried, or "" when it is not.
// 429 is always retried: the server did not process the request.
func retryReason(resp *http.Response, err error, safe bool) string {
	switch {
	case err != nil:
		if safe && retryableError(err) {
			return "connection error: " + err.Error()
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		return "rate limited (429)"
	case resp.StatusCode == http.StatusInternalServerError, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		if safe {
			return fmt.Sprintf("server error (%d)", resp.StatusCode)
		}
	}
	return ""
}

// retryableError is false for errors another attempt cannot fix: the
// caller's context ended, or the server's certificate is not trusted.
func retryableError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname):
		return false
	}
	return true
}

// backoff is how long to wait before retry number attempt+1: the server's
// Retry-After on 429 and 503 (up to maxRetryAfter, even beyond waitMax),
// otherwise waitMin doubled per attempt, capped at waitMax, with full jitter.
func backoff(waitMin, waitMax time.Duration, attempt int, resp *http.Response) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return min(d, maxRetryAfter)
	}
	d := waitMin
	for i := 0; i < attempt && d < waitMax; i++ {
		d *= 2
	}
	d = min(d, waitMax)
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1) //nolint:gosec // G404: jitter between retries needs no cryptographic randomness.
}

// retryAfter parses the Retry-After of a 429 or 503 answer: whole seconds
// or an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, 24*3600)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// attempts is the state of one call across its attempts; it logs them.
type attempts struct {
	ctx      context.Context
	pacer    *pacer
	logger   Logger
	method   string
	path     string
	safe     bool
	waitMax  time.Duration
	retryMax int

	endpoint       string
	requestTimeout time.Duration
	firstAnswer    *firstAnswer // nil: no first-answer bound
	waitNotice     time.Duration

	attempt   int
	start     time.Time
	reason    string      // why the last attempt is being retried
	noAnswers int         // attempts that got no answer in time
	waiting   *time.Timer // logs the wait of the attempt under way
}

func (a *attempts) fields() map[string]any {
	return map[string]any{"method": a.method, "path": a.path, "attempt": a.attempt}
}

// before runs before each attempt; i is 0 for the first.
// It waits first when the portal's rate limit says so (the wait ends early,
// and the attempt then fails, when the context is done).
// Once the attempt has waited waitNotice for an answer, that is logged at
// INFO with how long it may go on waiting, so that a portal that does not
// answer shows in the log before the attempt gives up.
func (a *attempts) before(_ retryablehttp.Logger, _ *http.Request, i int) {
	a.attempt = i + 1
	_ = a.pacer.wait(a.ctx, a.logger, a.method, a.path)
	a.start = time.Now()
	if a.waitNotice > 0 {
		f := a.fields()
		f["endpoint"] = a.endpoint
		f["waited"] = a.waitNotice.String()
		f["limit"] = a.firstAnswer.bound(a.requestTimeout).String()
		a.waiting = time.AfterFunc(a.waitNotice, func() {
			logInfo(a.ctx, a.logger, "portal API request is waiting for an answer", f)
		})
	}
}

// check is the CheckRetry: it logs the attempt, stops at once when the
// caller's context is done, and otherwise retries what retryReason allows.
func (a *attempts) check(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if a.waiting != nil {
		a.waiting.Stop()
	}
	f := a.fields()
	f["duration"] = time.Since(a.start).String()
	if resp != nil {
		f["status"] = resp.StatusCode
		f["request_id"] = resp.Header.Get("X-Request-Id")
	}
	if err != nil {
		f["error"] = err.Error()
	}
	a.logger.Debug(ctx, "portal API request", f)
	a.pacer.observe(resp)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	a.reason = retryReason(resp, err, a.safe)
	if within := noAnswerWithin(err, a.requestTimeout); within > 0 && a.reason != "" {
		a.noAnswers++
		a.reason = fmt.Sprintf("no answer within %s", within)
		if a.noAnswers >= maxNoAnswerAttempts {
			a.reason = ""
		}
	}
	return a.reason != "", nil
}

// backoff is the Backoff: the wait of the package-level backoff, logged
// with the reason for the retry.
func (a *attempts) backoff(waitMin, waitMax time.Duration, attempt int, resp *http.Response) time.Duration {
	wait := backoff(waitMin, waitMax, attempt, resp)
	f := a.fields()
	f["reason"] = a.reason
	f["wait"] = wait.String()
	f["next_attempt"] = a.attempt + 1
	f["max_attempts"] = a.retryMax + 1
	if ra, ok := retryAfter(resp); ok {
		f["retry_after"] = ra.String()
		if ra > a.waitMax {
			f["retry_after_note"] = fmt.Sprintf("honoured beyond RetryWaitMax (%s), up to %s", a.waitMax, maxRetryAfter)
		}
	}
	a.logger.Warn(a.ctx, "portal API request will be retried", f)
	return wait
}

// giveUp is the ErrorHandler. With no error, the retries ran out on a
// retryable answer: hand it back to be decoded into an *APIError. A call
// that got no answer at all fails with an error matching ErrUnreachable;
// any other error says how many attempts were made.
func (a *attempts) giveUp(resp *http.Response, err error, tries int) (*http.Response, error) {
	if err == nil {
		f := a.fields()
		f["status"] = resp.StatusCode
		f["reason"] = a.reason
		a.logger.Warn(a.ctx, "portal API request failed after retries", f)
		return resp, nil
	}
	if resp != nil {
		_ = resp.Body.Close()
	}
	if a.ctx.Err() != nil {
		return nil, err
	}
	if !retryableError(err) { // reached, but not trusted
		return nil, fmt.Errorf("after %d attempt(s): %w", tries, err)
	}
	return nil, &unreachableError{endpoint: a.endpoint, attempts: tries, within: noAnswerWithin(err, a.requestTimeout), err: err}
}
