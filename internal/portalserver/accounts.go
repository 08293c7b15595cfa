package portalserver

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// passwordLinkLifetime is how long an emailed password link works.
const passwordLinkLifetime = 7 * 24 * time.Hour

func checkPassword(fe *fieldErrors, pw string) {
	if len(pw) < 10 || len(pw) > 200 {
		fe.add("password", "invalid", "must be 10 to 200 characters")
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
func (s *Server) sendPasswordSetup(ctx context.Context, tx *sql.Tx, u *api.User) error {
	token := newSecret("pws_")
	if _, err := tx.ExecContext(ctx, `INSERT INTO password_tokens (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		hashSecret(token), u.ID, micros(s.now().Add(passwordLinkLifetime))); err != nil {
		return err
	}
	link := s.cfg.PublicURL + "/password/setup?token=" + url.QueryEscape(token)
	body := "An account was created for you. Set your password within 7 days: " + link + "\n"
	return s.mail(ctx, tx, u.Email, "password_setup", "Set your partner portal password", body, link, token)
}

func (s *Server) setupPassword(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, nil, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		var in api.PasswordSetup
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		var fe fieldErrors
		checkPassword(&fe, in.Password)
		if err := fe.err(); err != nil {
			return nil, err
		}
		var userID string
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, expires_at, used_at FROM password_tokens WHERE hash = ?`, hashSecret(in.Token)).Scan(&userID, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (used.Valid || expires <= micros(s.now()))) {
			return nil, notFound("password link (it is not valid, was used, or expired; ask for a new one)")
		}
		if err != nil {
			return nil, err
		}
		var partnerID string
		if err := tx.QueryRowContext(ctx, `SELECT partner_id FROM users WHERE id = ? AND deleted_at IS NULL`, userID).Scan(&partnerID); err != nil {
			return nil, notFound("user")
		}
		before, err := s.loadUser(ctx, tx, partnerID, userID)
		if err != nil {
			return nil, err
		}
		now := micros(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hashPassword(in.Password), userID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_tokens SET used_at = ? WHERE hash = ?`, now, hashSecret(in.Token)); err != nil {
			return nil, err
		}
		after, err := s.loadUser(ctx, tx, partnerID, userID)
		if err != nil {
			return nil, err
		}
		actor := api.Actor{Type: "public", ID: userID, Email: after.Email}
		if err := s.audit(ctx, tx, actor, userChange(after, "user.password_set", before, after)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: after, version: after.Version}, nil
	})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		pt, err := s.partnerFor(ctx, tx, p, r.PathValue("partner_id"))
		if err != nil {
			return nil, err
		}
		if err := p.require(api.PermTokensManage); err != nil {
			return nil, err
		}
		var in api.TokenCreate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		if strings.TrimSpace(in.Name) == "" || len(in.Name) > 100 {
			return nil, (fieldErrors{{Field: "name", Code: "invalid", Message: "must be 1 to 100 characters"}}).err()
		}
		u, err := s.loadUser(ctx, tx, pt.ID, in.UserID)
		if err != nil || u.DeletedAt != nil {
			return nil, (fieldErrors{{Field: "user_id", Code: "unknown_user", Message: "no live user " + in.UserID + " in partner " + pt.ID}}).err()
		}
		tok, err := s.insertToken(ctx, tx, in.Name, pt.ID, u.ID)
		if err != nil {
			return nil, err
		}
		safe := *tok
		safe.Token = "" // the audit trail never holds the secret
		if err := s.audit(ctx, tx, p.actor(), change{partnerID: pt.ID, action: "token.created", targetType: "token", targetID: tok.ID, targetUser: u.ID, after: safe}); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: tok}, nil
	})
}

// insertToken mints a token, stores only its hash and returns it once.
// partnerID and userID are empty for an operator token.
func (s *Server) insertToken(ctx context.Context, tx *sql.Tx, name, partnerID, userID string) (*api.TokenCreated, error) {
	now := s.now()
	secret := newSecret("ptk_")
	tok := &api.TokenCreated{ID: newID("tok", now), Name: name, UserID: userID, PartnerID: partnerID, Token: secret, CreatedAt: now}
	operator := 0
	var pid, uid any = partnerID, userID
	if partnerID == "" {
		operator, pid, uid = 1, nil, nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, hash, name, operator, partner_id, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tok.ID, hashSecret(secret), name, operator, pid, uid, micros(now))
	return tok, err
}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermAuditRead); err != nil {
		return err
	}
	q := &query{r: r}
	size := q.pageSize()
	since := q.time("since")
	before, err := decodeCursor(q.str("page_token"))
	if err := errors.Join(q.err(), err); err != nil {
		return err
	}
	where := []string{"partner_id = ?"}
	args := []any{pt.ID}
	if before != "" {
		where, args = append(where, "seq < ?"), append(args, before)
	}
	if v := q.str("user_id"); v != "" {
		where, args = append(where, "target_user_id = ?"), append(args, v)
	}
	if v := q.str("actor"); v != "" {
		where, args = append(where, "(actor_id = ? OR actor_email = ?)"), append(args, v, api.NormalizeEmail(v))
	}
	if v := q.str("action"); v != "" {
		where, args = append(where, "action = ?"), append(args, v)
	}
	if since != nil {
		where, args = append(where, "time >= ?"), append(args, micros(*since))
	}
	//nolint:gosec // G202: WHERE joins constant conditions; every value is a ? argument.
	rows, err := s.db.read.QueryContext(r.Context(), `SELECT seq, time, actor_type, actor_id, actor_email, action, target_type, target_id, request_id,
		COALESCE(before, 'null'), COALESCE(after, 'null') FROM audit_events WHERE `+strings.Join(where, " AND ")+` ORDER BY seq DESC LIMIT ?`,
		append(args, size+1)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := api.AuditEventList{Events: []api.AuditEvent{}}
	var seqs []string
	for rows.Next() {
		e := api.AuditEvent{PartnerID: pt.ID}
		var seq string
		var at int64
		var b, a string
		if err := rows.Scan(&seq, &at, &e.Actor.Type, &e.Actor.ID, &e.Actor.Email, &e.Action, &e.TargetType, &e.TargetID, &e.RequestID, &b, &a); err != nil {
			return err
		}
		e.ID, e.Time = "evt_"+seq, fromMicros(at)
		if err := errors.Join(jsonUnmarshal(b, &e.Before), jsonUnmarshal(a, &e.After)); err != nil {
			return err
		}
		out.Events = append(out.Events, e)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(out.Events) > size {
		out.Events = out.Events[:size]
		out.NextPageToken = encodeCursor(seqs[size-1])
	}
	return sendJSON(w, out, 0)
}
