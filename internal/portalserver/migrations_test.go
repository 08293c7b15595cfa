package portalserver

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// A database made before emails had one canonical form: lower case was the
// only normalization, so one mailbox could be two users.
func TestMigrationMakesStoredEmailsCanonical(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	initSQL, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigration(ctx, db, false, 1, string(initSQL), slog.Default()); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO partners VALUES ('prt_1', 'Acme', 'manager', 1, 1, 1)`,
		// As the old server stored them: email_norm is the email in lower case.
		`INSERT INTO users (id, partner_id, email, email_norm, email_domain, version, created_at, updated_at)
			VALUES ('usr_a', 'prt_1', 'w@Bücher.example', 'w@bücher.example', 'bücher.example', 1, 1, 1)`,
		`INSERT INTO users (id, partner_id, email, email_norm, email_domain, version, created_at, updated_at)
			VALUES ('usr_b', 'prt_1', 'W@xn--bcher-kva.example', 'w@xn--bcher-kva.example', 'xn--bcher-kva.example', 1, 2, 2)`,
		`INSERT INTO users (id, partner_id, email, email_norm, email_domain, version, created_at, updated_at)
			VALUES ('usr_c', 'prt_1', 'Ana@Example.test', 'ana@example.test', 'example.test', 1, 3, 3)`,
		`INSERT INTO invites (id, partner_id, email, email_norm, roles, lifetime_seconds, access_duration_seconds, token_hash, expires_at, send_count, invited_by, version, created_at, updated_at)
			VALUES ('inv_1', 'prt_1', 'x@Bu` + "\u0308" + `cher.example', 'x@bu` + "\u0308" + `cher.example', '[]', 60, 0, 'h', 9, 1, 'op', 1, 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	s, err := Open(ctx, Config{DBPath: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	defer s.Close()
	norms := map[string]string{}
	for _, id := range []string{"usr_a", "usr_b", "usr_c"} {
		var norm, domain string
		if err := s.db.read.QueryRowContext(ctx, `SELECT email_norm, email_domain FROM users WHERE id = ?`, id).Scan(&norm, &domain); err != nil {
			t.Fatal(err)
		}
		norms[id] = norm + " " + domain
	}
	want := map[string]string{
		"usr_a": "w@xn--bcher-kva.example xn--bcher-kva.example", // the older holder keeps the mailbox
		"usr_b": "duplicate:usr_b:w@xn--bcher-kva.example xn--bcher-kva.example",
		"usr_c": "ana@example.test example.test",
	}
	for id, w := range want {
		if norms[id] != w {
			t.Errorf("%s: email_norm and email_domain %q, want %q", id, norms[id], w)
		}
	}
	var inviteNorm string
	if err := s.db.read.QueryRowContext(ctx, `SELECT email_norm FROM invites WHERE id = 'inv_1'`).Scan(&inviteNorm); err != nil || inviteNorm != "x@xn--bcher-kva.example" {
		t.Errorf("invite email_norm %q (%v), want x@xn--bcher-kva.example", inviteNorm, err)
	}
	if !strings.Contains(logs.String(), "usr_b") || !strings.Contains(logs.String(), "kept_by=usr_a") {
		t.Errorf("no warning names the user that lost its mailbox: %s", logs.String())
	}

	// The mailbox is taken in every spelling, by the user that kept it.
	op, err := s.Bootstrap(ctx, BootstrapOptions{Operator: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"w@bu\u0308cher.example", "W@XN--BCHER-KVA.example"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/partners/prt_1/users", strings.NewReader(`{"email":"`+email+`"}`))
		req.Header.Set("Authorization", "Bearer "+op.Token)
		req.Header.Set("Content-Type", "application/json")
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"user_id":"usr_a"`) {
			t.Errorf("create %q after the migration: %d %s, want 409 email_taken naming usr_a", email, rec.Code, rec.Body)
		}
	}
}
