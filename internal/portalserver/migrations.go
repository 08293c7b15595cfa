package portalserver

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// goMigrations are the steps of a migration that SQL cannot write, by
// version; each runs after that version's SQL file, in its transaction.
var goMigrations = map[int]func(ctx context.Context, tx querier, log *slog.Logger) error{
	2: canonicalEmails,
	3: pageTokenKey,
}

// pageTokenKey generates the key that signs page tokens, once: tokens stay
// valid across restarts, and no two portals accept each other's.
func pageTokenKey(ctx context.Context, tx querier, _ *slog.Logger) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('page_token_key', ?)`, key)
	return err
}

// canonicalEmails recomputes every stored comparison form of an email in
// api.NormalizeEmail's form. Users created before it may turn out to share
// one mailbox (w@bücher.example and w@xn--bcher-kva.example): the older one
// keeps it, and each newer one gets a form no address has,
// "duplicate:<id>:<canonical form>", so it is still read, changed and removed
// by id but not found by email, and nothing new can take that mailbox; a
// warning names it. Changing its email to one of its own gives it a normal
// form again.
func canonicalEmails(ctx context.Context, tx querier, log *slog.Logger) error {
	type user struct{ id, email string }
	var users []user
	rows, err := tx.QueryContext(ctx, `SELECT id, email FROM users ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.email); err != nil {
			_ = rows.Close()
			return err
		}
		users = append(users, u)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	// First a form unique to each row, so that no update meets a row that
	// still holds the form it is about to take.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET email_norm = 'migrating:' || id`); err != nil {
		return err
	}
	holder := map[string]string{} // canonical form → id of the user holding it
	for _, u := range users {
		norm := api.NormalizeEmail(u.email)
		_, domain, _ := strings.Cut(norm, "@")
		if first, taken := holder[norm]; taken {
			log.WarnContext(ctx, "two users hold one mailbox: the newer one is no longer found by email; change its email or remove it",
				"mailbox", norm, "kept_by", first, "user", u.id)
			norm = "duplicate:" + u.id + ":" + norm
		} else {
			holder[norm] = u.id
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_norm = ?, email_domain = ? WHERE id = ?`, norm, domain, u.id); err != nil {
			return err
		}
	}
	for _, c := range []struct{ table, key, from, to string }{
		{"invites", "id", "email", "email_norm"},
		{"outbox", "seq", "to_addr", "to_addr"},
		{"audit_events", "seq", "actor_email", "actor_email"},
	} {
		if err := renormalize(ctx, tx, c.table, c.key, c.from, c.to); err != nil {
			return err
		}
	}
	return nil
}

// renormalize sets column to of every row of table to the canonical form of
// its column from. The names are constants of canonicalEmails.
func renormalize(ctx context.Context, tx querier, table, key, from, to string) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+key+`, `+from+` FROM `+table) //nolint:gosec // G202: constant names, no input.
	if err != nil {
		return err
	}
	type update struct{ key, norm string }
	var updates []update
	for rows.Next() {
		var k, email string
		if err := rows.Scan(&k, &email); err != nil {
			_ = rows.Close()
			return err
		}
		updates = append(updates, update{k, api.NormalizeEmail(email)})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, u := range updates {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+to+` = ? WHERE `+key+` = ?`, u.norm, u.key); err != nil { //nolint:gosec // G202: constant names.
			return err
		}
	}
	return nil
}
