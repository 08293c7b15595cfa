package portalserver

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, no cgo

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// store is the SQLite database: a pool for reads and one connection for
// writes, so writes are serialized (SQLite has one writer anyway) and every
// change with its audit event and idempotency record commits as one.
type store struct {
	read  *sql.DB
	write *sql.DB
	mu    sync.Mutex // held for the whole of a write transaction

	pageTokenKey []byte // signs page tokens (settings.page_token_key)

	idempotencyPruned time.Time // when expired Idempotency-Keys were last deleted; guarded by mu
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// scanner is what both *sql.Row and *sql.Rows offer.
type scanner interface{ Scan(dest ...any) error }

// view is one request's way into the data: the read pool, or the write
// transaction of a change, with the request's context and the portal's time
// read once, so that every status and timestamp of one request agree.
type view struct {
	ctx context.Context
	q   querier
	now time.Time
}

func (v *view) queryRow(query string, args ...any) *sql.Row {
	return v.q.QueryRowContext(v.ctx, query, args...)
}

func (v *view) query(query string, args ...any) (*sql.Rows, error) {
	return v.q.QueryContext(v.ctx, query, args...)
}

func (v *view) exec(query string, args ...any) error {
	_, err := v.q.ExecContext(v.ctx, query, args...)
	return err
}

func openStore(ctx context.Context, path string, log *slog.Logger) (*store, error) {
	// WAL with synchronous=NORMAL survives a killed process (kill -9) without
	// losing a committed transaction; only a power cut can cost the last ones.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	if err := migrate(ctx, write, log); err != nil {
		_ = write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	st := &store{read: read, write: write}
	if err := read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'page_token_key'`).Scan(&st.pageTokenKey); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("page token key: %w", err)
	}
	return st, nil
}

func (s *store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// tx runs fn in one write transaction and commits it when fn returns nil.
func (s *store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migrate applies, in order, every migration not yet recorded: the SQL of
// migrations/NNNN_name.sql, then the Go step of that version, if any
// (goMigrations). Each one is checked for and applied in one transaction, so
// two processes opening the same new database cannot both apply it.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		if err := applyMigration(ctx, db, version, string(body), log); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// applyMigration runs one migration unless it is recorded as applied.
func applyMigration(ctx context.Context, db *sql.DB, version int, body string, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if step := goMigrations[version]; step != nil {
		if err := step(ctx, tx, log); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// checkMicros refuses a time finer than the stored precision, microseconds,
// rather than let storage truncate it: what is read back is what was sent.
func checkMicros(fe *fieldErrors, field string, t *time.Time) {
	if t != nil && t.Nanosecond()%int(time.Microsecond) != 0 {
		fe.add(field, api.FieldTooPrecise, "%s is finer than a microsecond, the precision the portal keeps; send at most 6 fractional digits",
			t.Format(time.RFC3339Nano))
	}
}

// micros converts a time to the stored form.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

// fromMicros converts the stored form back.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullTime converts a nullable stored time.
func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullMicros converts an optional time to a nullable stored value.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// decodeJSONList reads a stored list of strings (roles, permissions).
func decodeJSONList(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("stored list %q: %w", s, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// encodeJSONList is the stored form of a list of strings.
func encodeJSONList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
