package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// A users batch, POST /v1/partners/{partner_id}/users/batch, applies up to
// api.MaxBatchOperations creates, updates, deletes and restores, each with
// the code of its single-user route and answered on its own, so that one
// bad operation never blocks the others.
//
// What is the same for every operation is checked once, for the whole
// batch: the token, its rate (a batch is one request), the tenant, the
// permission and the request's shape as the contract's UserBatch schema
// gives it (JSON, the count, each op's name and fields' types). Everything
// else is checked per operation, in the order of the single-user route.
//
// The batch runs in one write transaction, which read the clock once, with
// a savepoint per operation: an operation that fails is rolled back alone,
// and its answer is the problem it met. The transaction also keeps the
// answer for the Idempotency-Key, so a retried batch replays it.

// batchSavepoint is the savepoint of the operation being applied.
const batchSavepoint = "batch_op"

func (s *Server) batchUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	var in api.UserBatch
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatch(in.Operations); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		if tx, ok := v.q.(*sql.Tx); ok {
			v = &view{ctx: v.ctx, q: &preparedTx{tx: tx, stmts: map[string]*sql.Stmt{}}, now: v.now}
		}
		out := api.UserBatchResult{Results: make([]api.UserBatchItem, len(in.Operations))}
		for i, op := range in.Operations {
			item, err := s.applyBatchOperation(v, p, pt.ID, op)
			if err != nil {
				return nil, err // not an answer of the operation: the whole batch fails
			}
			out.Results[i] = item
		}
		return replyOK(out, 0), nil
	})
}

// checkBatch refuses, as a whole, a batch the UserBatch schema refuses: no
// operation or more than api.MaxBatchOperations, an unknown op, a negative
// version. Every bad field is named, as operations[i].field.
func checkBatch(ops []api.UserBatchOperation) error {
	var fe fieldErrors
	if len(ops) < 1 || len(ops) > api.MaxBatchOperations {
		fe.add("operations", api.FieldSize, "must hold 1 to %d operations, not %d", api.MaxBatchOperations, len(ops))
	}
	for i, op := range ops {
		at := "operations[" + strconv.Itoa(i) + "]."
		switch op.Op {
		case api.BatchCreate, api.BatchUpdate, api.BatchDelete, api.BatchRestore:
		default:
			fe.add(at+"op", api.FieldInvalid, "op %q is not one of %s, %s, %s, %s", op.Op, api.BatchCreate, api.BatchUpdate, api.BatchDelete, api.BatchRestore)
		}
		if op.Version < 0 {
			fe.add(at+"version", api.FieldOutOfRange, "must be 0 (no precondition) or a version")
		}
	}
	return fe.malformed("the batch is malformed and nothing was applied")
}

// applyBatchOperation applies one operation under its own savepoint. A
// problem is the operation's answer, and rolls back what the operation did;
// any other error fails the batch.
func (s *Server) applyBatchOperation(v *view, p *principal, partnerID string, op api.UserBatchOperation) (api.UserBatchItem, error) {
	if err := v.exec(`SAVEPOINT ` + batchSavepoint); err != nil {
		return api.UserBatchItem{}, err
	}
	item, err := s.runBatchOperation(v, p, partnerID, op)
	var pr *problem
	if errors.As(err, &pr) {
		if err := v.exec(`ROLLBACK TO ` + batchSavepoint); err != nil {
			return api.UserBatchItem{}, err
		}
		body := pr.Problem
		body.RequestID = requestID(v.ctx) // the request that the audit events name
		item, err = api.UserBatchItem{Status: body.Status, Problem: &body}, nil
	}
	if err != nil {
		return api.UserBatchItem{}, err
	}
	return item, v.exec(`RELEASE ` + batchSavepoint)
}

// runBatchOperation is one operation, checked and applied as its
// single-user route does it.
func (s *Server) runBatchOperation(v *view, p *principal, partnerID string, op api.UserBatchOperation) (api.UserBatchItem, error) {
	if err := checkOperationFields(op); err != nil {
		return api.UserBatchItem{}, err
	}
	switch op.Op {
	case api.BatchCreate:
		in := *op.Create
		if err := validateUserCreate(v, partnerID, &in); err != nil {
			return api.UserBatchItem{}, err
		}
		u, err := s.createUserIn(v, p, partnerID, in)
		return api.UserBatchItem{Status: http.StatusCreated, User: u}, err
	case api.BatchUpdate:
		in := *op.Update
		if err := validateUserUpdate(v, partnerID, &in); err != nil {
			return api.UserBatchItem{}, err
		}
		u, err := userForChange(v, p, partnerID, op.UserID, versionIs(op.Version))
		if err != nil {
			return api.UserBatchItem{}, err
		}
		after, err := updateUserIn(v, p, u, in)
		return api.UserBatchItem{Status: http.StatusOK, User: after}, err
	case api.BatchDelete:
		err := deleteUserIn(v, p, partnerID, op.UserID, versionIs(op.Version))
		return api.UserBatchItem{Status: http.StatusNoContent}, err
	default: // api.BatchRestore; checkBatch refused any other op
		u, err := restoreUserIn(v, p, partnerID, op.UserID)
		return api.UserBatchItem{Status: http.StatusOK, User: u}, err
	}
}

// checkOperationFields answers 400 for an operation that lacks what its op
// needs or carries what it does not take, naming each such field.
func checkOperationFields(op api.UserBatchOperation) error {
	var fe fieldErrors
	needs := func(field string, given bool) {
		if !given {
			fe.add(field, api.FieldInvalid, "%s needs %s", op.Op, field)
		}
	}
	takesNo := func(field string, given bool) {
		if given {
			fe.add(field, api.FieldInvalid, "%s takes no %s", op.Op, field)
		}
	}
	switch op.Op {
	case api.BatchCreate:
		needs("create", op.Create != nil)
		takesNo("user_id", op.UserID != "")
		takesNo("version", op.Version != 0)
		takesNo("update", op.Update != nil)
	case api.BatchUpdate:
		needs("user_id", op.UserID != "")
		needs("update", op.Update != nil)
		takesNo("create", op.Create != nil)
	case api.BatchDelete:
		needs("user_id", op.UserID != "")
		takesNo("create", op.Create != nil)
		takesNo("update", op.Update != nil)
	case api.BatchRestore:
		needs("user_id", op.UserID != "")
		takesNo("version", op.Version != 0)
		takesNo("create", op.Create != nil)
		takesNo("update", op.Update != nil)
	}
	return fe.malformed("the operation is malformed")
}

// versionIs is an operation's version as a precondition: 0 is none, as a
// request without If-Match; another version must be the current one.
func versionIs(want int64) precondition {
	return func(version int64) error {
		if want == 0 || want == version {
			return nil
		}
		return newProblem(http.StatusPreconditionFailed, api.CodePreconditionFailed,
			"the user changed since it was read: version %d given, current version %d; read it again and retry", want, version)
	}
}

// malformed reports the fields as a 400 invalid_request, nil when there are
// none: what fieldErrors.err is for field rules, for a request's shape.
func (f fieldErrors) malformed(what string) error {
	if len(f) == 0 {
		return nil
	}
	msgs := make([]string, len(f))
	for i, e := range f {
		msgs[i] = e.Field + ": " + e.Message
	}
	pr := newProblem(http.StatusBadRequest, api.CodeInvalidRequest, "%s: %s", what, strings.Join(msgs, "; "))
	pr.Errors = f
	return pr
}

// preparedTx is a transaction that prepares each statement once, on first
// use: a batch runs the same few statements for each of hundreds of
// operations, and SQLite would otherwise parse each of them every time.
// The statements close with the transaction.
type preparedTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (p *preparedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	st, err := p.tx.PrepareContext(ctx, query) //nolint:gosec // G701: the server's own SQL text; values are bound as arguments.
	if err != nil {
		return nil, err
	}
	p.stmts[query] = st
	return st, nil
}

func (p *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return p.tx.QueryRowContext(ctx, query, args...) //nolint:gosec // G701: as in stmt; this *sql.Row carries the error.
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
