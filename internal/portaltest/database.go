package portaltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// The engine a test's portald stores in: a SQLite file by default; with
// PORTAL_TEST_ENGINE=postgres, a PostgreSQL database of the test's own on
// the server PORTAL_TEST_POSTGRES names (a DSN of a user that may create
// databases, as .ci/postgres starts one). make test runs the server's and
// the client's tests once more that way when PORTAL_TEST_POSTGRES is set.
const (
	EngineEnv   = "PORTAL_TEST_ENGINE"
	PostgresEnv = "PORTAL_TEST_POSTGRES"
)

// OnPostgres says whether the tests run on PostgreSQL.
func OnPostgres() bool { return os.Getenv(EngineEnv) == "postgres" }

// Database is a new, empty database for one test, as portalserver.Config's
// DBPath takes it: a file in a temporary folder, or on PostgreSQL (see
// OnPostgres) a database of its own, dropped when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	if OnPostgres() {
		return PostgresDatabase(t)
	}
	return filepath.Join(t.TempDir(), "portal.db")
}

// PostgresDatabase creates a database for the test on the server of
// PORTAL_TEST_POSTGRES and returns its URL; it is dropped (its connections
// ended) at cleanup, after everything the test registered later closed. The
// test fails when PORTAL_TEST_POSTGRES is not set.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Fatalf("%s is not set: it names a PostgreSQL server where tests may create databases (.ci/postgres starts one)", PostgresEnv)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "portal_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		_ = admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// OpenDB opens a test's database (as Database returned it) to look into
// what the server stored; it closes at cleanup.
func OpenDB(t testing.TB, db string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+db+"?mode=ro"
	if u, err := url.Parse(db); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		driver, dsn = "pgx", db
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
