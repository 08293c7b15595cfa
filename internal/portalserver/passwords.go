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

// How long an emailed password link works: a new user's setup link, and a
// reset link, which someone asked for now and so needs less time.
const (
	passwordLinkLifetime  = 7 * 24 * time.Hour
	passwordResetLifetime = 24 * time.Hour
)

// The kinds of password mail in the outbox.
const (
	mailPasswordSetup = "password_setup"
	mailPasswordReset = "password_reset"
)

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
	_, err := s.mailPasswordLink(v, u, mailPasswordSetup)
	return err
}

// mailPasswordLink stores a new password link for the user and mails it: a
// new user's setup link, or a reset link, which makes the user's earlier
// unused links stop working. Either is used with POST /v1/password-setup.
// It returns when the link expires.
func (s *Server) mailPasswordLink(v *view, u *api.User, kind string) (time.Time, error) {
	lifetime, path, subject := passwordLinkLifetime, "/password/setup", "Set your partner portal password"
	if kind == mailPasswordReset {
		lifetime, path, subject = passwordResetLifetime, "/password/reset", "Reset your partner portal password"
		if err := v.exec(`UPDATE password_tokens SET expires_at = ? WHERE user_id = ? AND used_at IS NULL AND expires_at > ?`,
			micros(v.now), u.ID, micros(v.now)); err != nil {
			return time.Time{}, err
		}
	}
	token := newSecret("pws_")
	expires := v.now.Add(lifetime)
	if err := v.exec(`INSERT INTO password_tokens (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		hashSecret(token), u.ID, micros(expires)); err != nil {
		return time.Time{}, err
	}
	link := s.cfg.PublicURL + path + "?token=" + url.QueryEscape(token)
	body := "An account was created for you. Set your password within 7 days: " + link + "\n"
	if kind == mailPasswordReset {
		body = "A new password was asked for your partner portal account. Choose one before " + expires.Format(time.RFC1123) + ": " + link +
			"\nUntil then your password stays as it is; if you did not expect this mail, ignore it.\n"
	}
	return expires, mail(v, u.Email, kind, subject, body, link, token)
}

// resetPassword mails a user a time-limited link to choose a new password
// (POST /v1/password-setup takes its token). Nothing about the user changes
// until the link is used, so it answers 202 with where the mail went and
// when the link expires: never a password, never the link's token. It is a
// change to the user for the rules: users.manage (which
// user_admin_min_role may withhold), and a target ranked below the caller.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.usersAdmin(r, p)
	if err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		u, err := userForChange(v, p, pt.ID, r.PathValue("user_id"), versionIs(0))
		if err != nil {
			return nil, err
		}
		expires, err := s.mailPasswordLink(v, u, mailPasswordReset)
		if err != nil {
			return nil, err
		}
		sent := api.PasswordReset{UserID: u.ID, Email: u.Email, ExpiresAt: expires}
		if err := v.audit(p.actor(), userChange(u, api.AuditUserPasswordResetSent, nil, sent)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusAccepted, body: sent}, nil
	})
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
