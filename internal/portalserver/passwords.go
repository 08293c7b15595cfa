package portalserver

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// passwordLinkLifetime is how long an emailed password link works.
const passwordLinkLifetime = 7 * 24 * time.Hour

func checkPassword(fe *fieldErrors, pw string) {
	if len(pw) < 10 || len(pw) > 200 {
		fe.add("password", api.FieldInvalid, "must be 10 to 200 characters")
	}
}

// hashPassword derives a salted PBKDF2-SHA256 hash; the server never returns passwords.
func hashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, _ := pbkdf2.Key(sha256.New, pw, salt, 100_000, 32)
	return "pbkdf2-sha256$100000$" + hex.EncodeToString(salt) + "$" + hex.EncodeToString(key)
}

// sendPasswordSetup mails a new user the link to set their password.
func (s *Server) sendPasswordSetup(v *view, u *api.User) error {
	token := newSecret("pws_")
	if err := v.exec(`INSERT INTO password_tokens (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		hashSecret(token), u.ID, micros(v.now.Add(passwordLinkLifetime))); err != nil {
		return err
	}
	link := s.cfg.PublicURL + "/password/setup?token=" + url.QueryEscape(token)
	body := "An account was created for you. Set your password within 7 days: " + link + "\n"
	return mail(v, u.Email, "password_setup", "Set your partner portal password", body, link, token)
}

// setupPassword is a new user following the emailed link: it sets their
// password, which makes them active.
func (s *Server) setupPassword(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var in api.PasswordSetup
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	checkPassword(&fe, in.Password)
	if err := fe.err(); err != nil {
		return err
	}
	password := hashPassword(in.Password) // slow on purpose: not under the write lock
	return s.write(w, r, func(v *view) (*reply, error) {
		var userID string
		var expires int64
		var used sql.NullInt64
		err := v.queryRow(`SELECT user_id, expires_at, used_at FROM password_tokens WHERE hash = ?`, hashSecret(in.Token)).Scan(&userID, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (used.Valid || expires <= micros(v.now))) {
			return nil, notFound("password link (it is not valid, was used, or expired; ask for a new one)")
		}
		if err != nil {
			return nil, err
		}
		var partnerID string
		if err := v.queryRow(`SELECT partner_id FROM users WHERE id = ? AND deleted_at IS NULL`, userID).Scan(&partnerID); err != nil {
			return nil, notFound("user")
		}
		before, err := v.user(partnerID, userID)
		if err != nil {
			return nil, err
		}
		if err := v.exec(`UPDATE users SET password_hash = ? WHERE id = ?`, password, userID); err != nil {
			return nil, err
		}
		if err := v.exec(`UPDATE password_tokens SET used_at = ? WHERE hash = ?`, micros(v.now), hashSecret(in.Token)); err != nil {
			return nil, err
		}
		after, err := v.user(partnerID, userID)
		if err != nil {
			return nil, err
		}
		actor := api.Actor{Type: "public", ID: userID, Email: after.Email}
		if err := v.audit(actor, userChange(after, api.AuditUserPasswordSet, before, after)); err != nil {
			return nil, err
		}
		return replyOK(after, after.Version), nil
	})
}
