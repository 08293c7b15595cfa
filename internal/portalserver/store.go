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
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, no cgo

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// store is the database: SQLite (a file path) or PostgreSQL (a postgres://
// URL). Every change with its audit event and idempotency record commits as
// one transaction (tx).
//
// On SQLite, a pool for reads and one connection for writes, so writes are
// serialized (SQLite has one writer anyway). On PostgreSQL, which several
// portald processes may share, there is no lock in the process: a change
// runs at SERIALIZABLE isolation and is run again when the database refuses
// it for a concurrent one, so every check it made holds at commit on every
// replica alike.
type store struct {
	read  *sql.DB
	write *sql.DB
	pg    bool // PostgreSQL: queries are rebound (pgQuerier) and tx retries
	// SQLite: held for the whole of a write transaction; a channel, so
	// that a change waiting for it gives up when its request does.
	writeLock chan struct{}

	writers chan struct{} // PostgreSQL: a slot for each change that may hold a connection (pgMaxWriters)
	// PostgreSQL: the changes of one partner on this replica queue here
	// before they take a slot, so that one partner's apply holds one slot
	// waiting for its advisory lock, not all of them (partners hashed onto
	// pgPartnerGates gates).
	partnerGates [pgPartnerGates]chan struct{}

	pageTokenKey []byte // signs page tokens (settings.page_token_key)

	retries atomic.Uint64 // PostgreSQL: transactions run again (pgTx)

	pruneMu           sync.Mutex
	idempotencyPruned time.Time // when expired Idempotency-Keys were last deleted
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

// isPostgres says whether a --db value names a PostgreSQL database rather
// than a SQLite file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func openStore(ctx context.Context, db string, log *slog.Logger) (*store, error) {
	if isPostgres(db) {
		return openPostgres(ctx, db, log)
	}
	// WAL with synchronous=NORMAL survives a killed process (kill -9) without
	// losing a committed transaction; only a power cut can cost the last ones.
	dsn := "file:" + db + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	if err := migrate(ctx, write, false, log); err != nil {
		_ = write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	return loadStore(ctx, &store{read: read, write: write, writeLock: make(chan struct{}, 1)})
}

// loadStore reads what the store keeps from the database.
func loadStore(ctx context.Context, st *store) (*store, error) {
	if err := st.reader().QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'page_token_key'`).Scan(&st.pageTokenKey); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("page token key: %w", err)
	}
	return st, nil
}

func (s *store) Close() error {
	if s.read == s.write {
		return s.read.Close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// reader is the read pool, as the queries of the server are written.
func (s *store) reader() querier {
	if s.pg {
		return pgQuerier{s.read}
	}
	return s.read
}

// ping says whether the database answers a query and holds the schema this
// portald expects: what a load balancer's readiness check needs to know.
func (s *store) ping(ctx context.Context) error {
	var version int
	err := s.reader().QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version)
	if err != nil {
		return err
	}
	if want := latestMigration(); version < want {
		return fmt.Errorf("the database schema is at version %d, this portald needs %d", version, want)
	}
	return nil
}

// tx runs fn in one write transaction and commits it when fn returns nil.
// partnerID is the partner whose objects it changes, "" when it is not one
// partner's: on PostgreSQL the changes of one partner run one at a time
// (pgTx). There fn may also run more than once, so it changes nothing but
// the database.
func (s *store) tx(ctx context.Context, partnerID string, fn func(q querier) error) error {
	if s.pg {
		return s.pgTx(ctx, partnerID, fn)
	}
	select {
	case s.writeLock <- struct{}{}:
		defer func() { <-s.writeLock }()
	case <-ctx.Done():
		return ctx.Err()
	}
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

// migrator is what migrate needs of a database: a *sql.DB, or on
// PostgreSQL the one *sql.Conn that holds the migration lock.
type migrator interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// migrate applies, in order, every migration not yet recorded: the SQL of
// migrations/NNNN_name.sql (on PostgreSQL in pgSchema's translation), then
// the Go step of that version, if any (goMigrations). Each one is checked for
// and applied in one transaction, so two processes opening the same new
// SQLite database cannot both apply it; on PostgreSQL the caller holds an
// advisory lock for the whole of it.
func migrate(ctx context.Context, db migrator, pg bool, log *slog.Logger) error {
	schema := func(s string) string { return s }
	if pg {
		schema = pgSchema
	}
	// The first statement opens the connection, which on SQLite sets WAL
	// mode: several processes opening a new file at once get SQLITE_BUSY
	// there at once, without SQLite's busy timeout, so it is tried again.
	for attempt := 1; ; attempt++ {
		_, err := db.ExecContext(ctx, schema(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`))
		if err == nil {
			break
		}
		if pg || attempt == 100 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return fmt.Errorf("migrations table: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	migrations, err := embeddedMigrations()
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if err := applyMigration(ctx, db, pg, m.version, schema(m.body), log); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

type migration struct {
	name, body string
	version    int
}

// embeddedMigrations are the SQL files in migrations/, in order.
func embeddedMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{name: base, body: string(body), version: version})
	}
	return out, nil
}

// latestMigration is the schema version this portald brings.
func latestMigration() int {
	migrations, err := embeddedMigrations()
	if err != nil || len(migrations) == 0 {
		return 0
	}
	return migrations[len(migrations)-1].version
}

// applyMigration runs one migration unless it is recorded as applied.
func applyMigration(ctx context.Context, db migrator, pg bool, version int, body string, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	var q querier = tx
	if pg {
		q = pgQuerier{tx}
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, body); err != nil {
		return err
	}
	if step := goMigrations[version]; step != nil {
		if err := step(ctx, q, log); err != nil {
			return err
		}
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// pruneDue says whether expired Idempotency-Keys are to be deleted now: at
// most once an hour.
func (s *store) pruneDue(now time.Time) bool {
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	if now.Sub(s.idempotencyPruned) < time.Hour {
		return false
	}
	s.idempotencyPruned = now
	return true
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
