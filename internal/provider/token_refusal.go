package provider

import (
	"errors"
	"sync"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// tokenRefusal remembers the portal's first 401 of a run. A wrong API token
// is refused on every request, and a plan of many resources would show the
// same error once per resource; instead the first operation refused reports
// the portal's answer in full, and every later one that goes through the
// provider's shared reads fails at once, sending nothing, with
// errTokenRefused, which points at that one error (Terraform may list it
// after the others).
type tokenRefusal struct {
	mu      sync.Mutex
	refused bool
}

// errTokenRefused is the error of what the run does after the portal refused
// the API token. It matches client.ErrUnauthenticated.
var errTokenRefused error = tokenRefusedError{}

type tokenRefusedError struct{}

func (tokenRefusedError) Error() string {
	return "not sent, as the portal refused the API token earlier in this run: see the one error that quotes its 401 answer. " +
		"Fix the token (api_token or " + envToken + ") and run again"
}

func (tokenRefusedError) Is(target error) bool { return target == client.ErrUnauthenticated }

// check returns errTokenRefused once the portal has refused the token, else
// nil. A nil *tokenRefusal never refuses.
func (t *tokenRefusal) check() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refused {
		return errTokenRefused
	}
	return nil
}

// note returns err as it is, except that a 401 after the run's first one
// becomes errTokenRefused: only the first is reported in full.
func (t *tokenRefusal) note(err error) error {
	if t == nil || !errors.Is(err, client.ErrUnauthenticated) || errors.Is(err, errTokenRefused) {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refused {
		return errTokenRefused
	}
	t.refused = true
	return err
}

// firstRefusal reports whether err is the run's first 401, the one reported
// in full: an error a caller would otherwise drop must then be reported.
func firstRefusal(err error) bool {
	return errors.Is(err, client.ErrUnauthenticated) && !errors.Is(err, errTokenRefused)
}

// do makes a call to the portal unless the token was refused, and turns a
// 401 after the run's first one into errTokenRefused (see note).
func (t *tokenRefusal) do(call func() error) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.note(call())
}

// throughRefusal is do for a call that returns a value.
func throughRefusal[T any](t *tokenRefusal, call func() (T, error)) (T, error) {
	var v T
	err := t.do(func() (err error) {
		v, err = call()
		return err
	})
	return v, err
}
