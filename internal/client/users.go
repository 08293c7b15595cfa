package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// UsersService manages the users of a partner:
// /v1/partners/{partner_id}/users.
type UsersService struct{ c *Client }

func usersPath(partnerID string) string { return pathf("/v1/partners/%s/users", partnerID) }

func userPath(partnerID, userID string) string {
	return pathf("/v1/partners/%s/users/%s", partnerID, userID)
}

func userQuery(o api.UserListOptions) url.Values {
	q := pageQuery(o.PageSize, o.PageToken)
	setIf(q, "email", o.Email)
	setIf(q, "role", o.Role)
	setIf(q, "status", o.Status)
	setIf(q, "email_domain", o.EmailDomain)
	if o.IncludeDeleted {
		q.Set("include_deleted", "true")
	}
	if s := int64(o.InactiveFor / time.Second); s > 0 {
		q.Set("inactive_for", strconv.FormatInt(s, 10))
	}
	return q
}

// List returns one page of the partner's users matching opts.
func (s *UsersService) List(ctx context.Context, partnerID string, opts api.UserListOptions) (*api.UserList, error) {
	return doJSON[api.UserList](ctx, s.c, get(usersPath(partnerID), userQuery(opts)))
}

// ListAll returns every user matching opts; opts' page fields are ignored.
func (s *UsersService) ListAll(ctx context.Context, partnerID string, opts api.UserListOptions) ([]api.User, error) {
	return listAll(ctx, s.c, usersPath(partnerID), userQuery(opts),
		func(l *api.UserList) ([]api.User, string) { return l.Users, l.NextPageToken })
}

// Create creates a user. A taken email fails with code email_taken, a
// removed account's email with user_deleted (see Problem.RestorableUserID).
func (s *UsersService) Create(ctx context.Context, partnerID string, u api.UserCreate) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, post(usersPath(partnerID), u))
}

// Batch applies up to api.MaxBatchOperations operations in one request.
// Each operation is answered on its own in the result, in order; an error
// is returned only when the batch as a whole was refused or not answered.
// A retry after a lost answer carries the same Idempotency-Key, so the
// portal replays the first answer instead of applying the batch twice.
// BatchItemError turns a result into an error. No operation is no request
// and an empty result; more than api.MaxBatchOperations fail unsent.
func (s *UsersService) Batch(ctx context.Context, partnerID string, ops []api.UserBatchOperation) (*api.UserBatchResult, error) {
	path := usersPath(partnerID) + "/batch"
	switch {
	case len(ops) == 0:
		return &api.UserBatchResult{Results: []api.UserBatchItem{}}, nil
	case len(ops) > api.MaxBatchOperations:
		return nil, fmt.Errorf("portal API: POST %s: a batch holds at most %d operations, not %d; split it", path, api.MaxBatchOperations, len(ops))
	}
	res, err := doJSON[api.UserBatchResult](ctx, s.c, post(path, api.UserBatch{Operations: ops}))
	if err != nil {
		return nil, err
	}
	if len(res.Results) != len(ops) {
		return nil, fmt.Errorf("portal API: POST %s: %d results for %d operations", path, len(res.Results), len(ops))
	}
	return res, nil
}

// BatchItemError is the error of one result of a users batch of the
// partner: nil for an operation that was applied (a 2xx status), otherwise
// the *APIError its single-user route would have returned, with its status,
// problem code, field errors and request id, so that errors.Is(err,
// ErrConflict) and the other sentinels hold. Its field paths are relative to
// the operation ("phone", "roles[1]", "user_id").
func BatchItemError(partnerID string, item api.UserBatchItem) error {
	if item.Status >= 200 && item.Status <= 299 {
		return nil
	}
	e := &APIError{StatusCode: item.Status, Method: http.MethodPost, Path: usersPath(partnerID) + "/batch"}
	if item.Problem != nil {
		p := *item.Problem
		e.Problem = p
		e.Code, e.Title, e.Detail, e.FieldErrors, e.RequestID = p.Code, p.Title, p.Detail, p.Errors, p.RequestID
	}
	if e.Title == "" {
		e.Title = http.StatusText(item.Status)
	}
	return e
}

// Get returns one user.
func (s *UsersService) Get(ctx context.Context, partnerID, userID string) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, get(userPath(partnerID, userID), nil))
}

// Update changes a user; a version above 0 is sent as If-Match.
func (s *UsersService) Update(ctx context.Context, partnerID, userID string, u api.UserUpdate, version int64) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, patch(userPath(partnerID, userID), u, version))
}

// Delete removes a user's access and keeps the account, which Restore
// brings back; a version above 0 is sent as If-Match.
func (s *UsersService) Delete(ctx context.Context, partnerID, userID string, version int64) error {
	return s.c.do(ctx, del(userPath(partnerID, userID), version), nil)
}

// Restore brings back a removed user.
func (s *UsersService) Restore(ctx context.Context, partnerID, userID string) (*api.User, error) {
	return doJSON[api.User](ctx, s.c, post(userPath(partnerID, userID)+"/restore", nil))
}

// ResetPassword mails the user a link to choose a new password, valid for a
// day, and returns where it went and when it expires; the answer never holds
// a password or the link's token. Like every POST it carries an
// Idempotency-Key, so a retry after a lost answer mails once.
func (s *UsersService) ResetPassword(ctx context.Context, partnerID, userID string) (*api.PasswordReset, error) {
	return doJSON[api.PasswordReset](ctx, s.c, post(userPath(partnerID, userID)+"/password-reset", nil))
}
