package portalserver_test

import (
	"os"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// readFile is everything a database holds, as text: the bytes of a SQLite
// file and its WAL, or on PostgreSQL every row of every table of the portal.
func readFile(t testing.TB, path string) string {
	t.Helper()
	if strings.HasPrefix(path, "postgres") {
		return readPostgres(t, path)
	}
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatalf("database %s is empty", path)
	}
	return string(all)
}

func readPostgres(t testing.TB, dsn string) string {
	t.Helper()
	db := portaltest.OpenDB(t, dsn)
	rows, err := db.QueryContext(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatalf("database %s holds no table", dsn)
	}
	var all strings.Builder
	for _, table := range tables {
		var text string
		if err := db.QueryRowContext(t.Context(), `SELECT COALESCE(string_agg(r::text, E'\n'), '') FROM "`+table+`" r`).Scan(&text); err != nil {
			t.Fatal(err)
		}
		all.WriteString(text)
	}
	return all.String()
}
