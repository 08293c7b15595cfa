package portalserver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// PostgreSQL storage, for several portald processes on one database. The
// server's SQL is written once, in the dialect both engines share; what
// differs is kept here: placeholders (? becomes $1, $2, ...), the column
// types of the migrations (pgSchema), and how a change commits (pgTx).

// pgMigrationLock is the advisory lock key that makes the replicas starting
// on one database apply its migrations one at a time.
const pgMigrationLock = 0x706f7274616c // "portal"

// pgPartnerLock is the first key of the advisory locks of partners (pgTx);
// the second is a hash of the partner's id.
const pgPartnerLock = 0x706f72 // "por"

// pgMaxConns is each portald's share of the server's connections, of
// which changes take at most pgMaxWriters: changes waiting for a partner's
// lock never leave reads, /readyz among them, without a connection.
const (
	pgMaxConns   = 16
	pgMaxWriters = pgMaxConns / 2
)

func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := migratePostgres(ctx, db, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	st := &store{read: db, write: db, pg: true, writers: make(chan struct{}, pgMaxWriters)}
	for i := range st.partnerGates {
		st.partnerGates[i] = make(chan struct{}, 1)
	}
	return loadStore(ctx, st)
}

// migratePostgres runs migrate holding the migration lock on one connection:
// replicas that start together on a new database wait for the first one,
// then find every migration applied.
func migratePostgres(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, pgMigrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, pgMigrationLock)
	}()
	return migrate(ctx, conn, true, log)
}

// pgTxAttempts bounds how often a change is run again after PostgreSQL
// refused to commit it for a concurrent one.
const pgTxAttempts = 30

// pgTx runs fn in a SERIALIZABLE transaction: PostgreSQL then commits it
// only if it is as if no other change ran beside it, on this replica or any
// other, so a check fn made (an If-Match version, a free email, an unused
// Idempotency-Key) still holds at commit. When the database refuses it
// (serialization failure, deadlock, or a unique index that a concurrent
// change filled first), fn runs again from the start on what is now
// committed, where its checks answer as they must (412, 409, a replay).
//
// The changes of one partner, the usual case of concurrent writers (an
// apply of hundreds of users), would refuse each other most of the time:
// PostgreSQL tracks what a transaction read by index page, and neighbouring
// emails or Idempotency-Keys share pages. So they wait for each other
// instead, on an advisory lock of the partner taken before the transaction
// begins (its snapshot then sees the previous change committed), and on
// one replica first at the partner's gate, so that they hold one of the
// replica's writer slots, not all; changes of different partners still run
// side by side.
func (s *store) pgTx(ctx context.Context, partnerID string, fn func(q querier) error) error {
	for attempt := 1; ; attempt++ {
		err := s.pgTxOnce(ctx, partnerID, fn)
		if err == nil || !pgRetryable(err) || attempt == pgTxAttempts {
			return err
		}
		s.retries.Add(1)
		// A short random pause, growing with the attempts, so that the
		// changes that met do not meet again.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6))) //nolint:gosec // G404: jitter, nothing secret.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// pgPartnerGates is how many gates the partners of a replica share (see
// store.partnerGates): two partners on one gate wait for each other on this
// replica only.
const pgPartnerGates = 64

// partnerGate is the gate of a partner's changes on this replica.
func (s *store) partnerGate(partnerID string) chan struct{} {
	h := fnv.New32a()
	_, _ = h.Write([]byte(partnerID))
	return s.partnerGates[h.Sum32()%pgPartnerGates]
}

func (s *store) pgTxOnce(ctx context.Context, partnerID string, fn func(q querier) error) error {
	if partnerID != "" {
		gate := s.partnerGate(partnerID)
		select {
		case gate <- struct{}{}:
			defer func() { <-gate }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case s.writers <- struct{}{}:
		defer func() { <-s.writers }()
	case <-ctx.Done():
		return ctx.Err()
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if partnerID != "" {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, pgPartnerLock, partnerID); err != nil {
			return fmt.Errorf("partner lock: %w", err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, pgPartnerLock, partnerID); err != nil {
				// Closing the connection is what releases the lock now.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(pgQuerier{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// pgRetryable says whether PostgreSQL refused a transaction for a
// concurrent one: serialization_failure, deadlock_detected, or
// unique_violation (two changes inserting one key; the one that runs again
// finds the other's row).
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// RedactDB is a --db value fit for a log: a PostgreSQL URL without its
// password.
func RedactDB(db string) string {
	u, err := url.Parse(db)
	if err != nil || !isPostgres(db) {
		if isPostgres(db) {
			return "postgres://(unparsable URL)"
		}
		return db
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for _, secret := range []string{"password", "sslpassword"} {
		if q.Has(secret) {
			q.Set(secret, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// pgQuerier runs the server's queries on PostgreSQL, with their ?
// placeholders numbered.
type pgQuerier struct{ q querier }

func (p pgQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.q.QueryContext(ctx, rebind(query, len(args)), args...)
}

func (p pgQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.q.QueryRowContext(ctx, rebind(query, len(args)), args...)
}

func (p pgQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.q.ExecContext(ctx, rebind(query, len(args)), args...)
}

// rebound caches rebind's answers: the server has a few hundred distinct
// queries (the lists' filters combine), each rebound once.
var rebound sync.Map

// rebind numbers the ? placeholders of a query, $1, $2, ..., skipping
// quoted strings. A query without arguments is left as it is (a
// migration, whose comments may hold anything).
func rebind(query string, args int) string {
	if args == 0 {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		if s, ok := q.(string); ok {
			return s
		}
	}
	var b strings.Builder
	b.Grow(len(query) + 2*args)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

// pgTypes are the SQLite column types of the migrations and what they are
// on PostgreSQL: times are microseconds, past what a 32-bit INTEGER holds;
// text compares byte by byte (COLLATE "C"), as in SQLite, so lists come in
// the same order on both engines.
var pgTypes = []struct {
	re *regexp.Regexp
	to string
}{
	{regexp.MustCompile(`\bINTEGER PRIMARY KEY AUTOINCREMENT\b`), `BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`},
	{regexp.MustCompile(`\bINTEGER\b`), `BIGINT`},
	{regexp.MustCompile(`\bBLOB\b`), `BYTEA`},
	{regexp.MustCompile(`\bTEXT\b`), `TEXT COLLATE "C"`},
}

// pgSchema is a migration as PostgreSQL runs it: the same statements, with
// the column types of pgTypes. Migrations keep to SQL both engines run (no
// PRAGMA, no table rebuild, no SQLite-only functions).
func pgSchema(body string) string {
	for _, t := range pgTypes {
		body = t.re.ReplaceAllString(body, t.to)
	}
	return body
}
