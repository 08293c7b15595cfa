package portalserver

import (
	"strings"
	"testing"
)

func TestRebindNumbersPlaceholdersOutsideStrings(t *testing.T) {
	for _, c := range []struct {
		in   string
		args int
		want string
	}{
		{`SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?`, 3, `SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3`},
		{`SELECT '?' || x FROM t WHERE replace(r, '"' || CAST(? AS TEXT) || '"', '') <> r`, 1,
			`SELECT '?' || x FROM t WHERE replace(r, '"' || CAST($1 AS TEXT) || '"', '') <> r`},
		{`SELECT 'it''s?' FROM t WHERE a = ?`, 1, `SELECT 'it''s?' FROM t WHERE a = $1`},
		{"-- a migration's comment? kept\nCREATE TABLE t (a TEXT)", 0, "-- a migration's comment? kept\nCREATE TABLE t (a TEXT)"},
	} {
		if got := rebind(c.in, c.args); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every migration is SQL both engines run: PostgreSQL gets its column
// types from pgSchema, and nothing else is SQLite's own.
func TestMigrationsAreForBothEngines(t *testing.T) {
	migrations, err := embeddedMigrations()
	if err != nil || len(migrations) == 0 {
		t.Fatalf("migrations: %d, %v", len(migrations), err)
	}
	for _, m := range migrations {
		pg := strings.ToUpper(pgSchema(m.body))
		for _, sqliteOnly := range []string{"PRAGMA", "AUTOINCREMENT", "INSERT OR ", "COLLATE NOCASE", "WITHOUT ROWID", "JSON_EACH", "JSON_GROUP_ARRAY", "DATETIME(", "STRFTIME("} {
			if strings.Contains(pg, sqliteOnly) {
				t.Errorf("%s holds %s, which PostgreSQL does not run", m.name, sqliteOnly)
			}
		}
		if strings.Contains(pg, " INTEGER") || strings.Contains(pg, " BLOB") {
			t.Errorf("%s keeps a SQLite column type on PostgreSQL:\n%s", m.name, pg)
		}
	}
	if got := latestMigration(); got != migrations[len(migrations)-1].version || got < 3 {
		t.Fatalf("latestMigration() = %d", got)
	}
}

func TestRedactDBHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{ //nolint:gosec // G101: made-up passwords, which the test checks are hidden.
		"portal.db": "portal.db",
		"postgres://portal:s3cret@db:5432/portal?sslmode=require": "postgres://portal:xxxxx@db:5432/portal?sslmode=require",
		"postgresql://portal@db/portal?password=s3cret":           "postgresql://portal@db/portal?password=xxxxx",
		"postgres://portal@db/portal":                             "postgres://portal@db/portal",
		"postgres://portal@db/portal?sslpassword=s3cret":          "postgres://portal@db/portal?sslpassword=xxxxx",
	} {
		if got := RedactDB(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDB(%q) = %q, want %q", in, got, want)
		}
	}
}
