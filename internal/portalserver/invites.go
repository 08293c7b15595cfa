package portalserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const inviteCols = `id, partner_id, email, roles, lifetime_seconds, access_duration_seconds, expires_at, accepted_at,
	revoked_at, COALESCE(user_id, ''), send_count, invited_by, version, created_at, updated_at`

func (s *Server) scanInvite(row interface{ Scan(...any) error }) (*api.Invite, error) {
	var in api.Invite
	var roles string
	var expires, created, updated int64
	var accepted, revoked sql.NullInt64
	if err := row.Scan(&in.ID, &in.PartnerID, &in.Email, &roles, &in.LifetimeSeconds, &in.AccessDurationSeconds, &expires, &accepted,
		&revoked, &in.UserID, &in.SendCount, &in.InvitedBy, &in.Version, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	in.Roles, err = decodeJSONList(roles)
	in.ExpiresAt, in.CreatedAt, in.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	switch {
	case revoked.Valid:
		in.Status, in.RespondedAt = api.InviteRevoked, nil
	case accepted.Valid:
		in.Status, in.RespondedAt = api.InviteAccepted, nullTime(accepted)
	case !in.ExpiresAt.After(s.now()):
		in.Status = api.InviteExpired
	default:
		in.Status = api.InvitePending
	}
	return &in, err
}

func (s *Server) loadInvite(ctx context.Context, q querier, partnerID, id string) (*api.Invite, error) {
	in, err := s.scanInvite(q.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE id = ? AND partner_id = ?`, id, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("invite " + id)
	}
	return in, err
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermUsersRead); err != nil {
		return err
	}
	q := &query{r: r}
	size := q.pageSize()
	status := q.oneOf("status", api.InvitePending, api.InviteAccepted, api.InviteExpired, api.InviteRevoked)
	after, err := decodeCursor(q.str("page_token"))
	if err := errors.Join(q.err(), err); err != nil {
		return err
	}
	where := []string{"partner_id = ?", "id > ?"}
	args := []any{pt.ID, after}
	if v := q.str("email"); v != "" {
		where, args = append(where, "email_norm = ?"), append(args, api.NormalizeEmail(v))
	}
	now := micros(s.now())
	switch status {
	case api.InviteRevoked:
		where = append(where, "revoked_at IS NOT NULL")
	case api.InviteAccepted:
		where = append(where, "revoked_at IS NULL AND accepted_at IS NOT NULL")
	case api.InviteExpired:
		where, args = append(where, "revoked_at IS NULL AND accepted_at IS NULL AND expires_at <= ?"), append(args, now)
	case api.InvitePending:
		where, args = append(where, "revoked_at IS NULL AND accepted_at IS NULL AND expires_at > ?"), append(args, now)
	}
	rows, err := s.db.read.QueryContext(r.Context(), `SELECT `+inviteCols+` FROM invites WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, //nolint:gosec // G202: WHERE joins constant conditions; every value is a ? argument.
		append(args, size+1)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := api.InviteList{Invites: []api.Invite{}}
	for rows.Next() {
		in, err := s.scanInvite(rows)
		if err != nil {
			return err
		}
		out.Invites = append(out.Invites, *in)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(out.Invites) > size {
		out.Invites = out.Invites[:size]
		out.NextPageToken = encodeCursor(out.Invites[size-1].ID)
	}
	return sendJSON(w, out, 0)
}

func (s *Server) getInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := s.partnerFor(r.Context(), s.db.read, p, r.PathValue("partner_id"))
	if err != nil {
		return err
	}
	if err := p.require(api.PermUsersRead); err != nil {
		return err
	}
	in, err := s.loadInvite(r.Context(), s.db.read, pt.ID, r.PathValue("invite_id"))
	if err != nil {
		return err
	}
	return sendJSON(w, in, in.Version)
}

// prefixed renames the fields of a validation problem, for batch entries.
func prefixed(err error, prefix string) error {
	var pr *problem
	if prefix == "" || !errors.As(err, &pr) {
		return err
	}
	for i := range pr.Errors {
		pr.Errors[i].Field = prefix + pr.Errors[i].Field
	}
	pr.Detail = prefix + ": " + pr.Detail
	return pr
}

// insertInvite validates and stores one invite and mails its link.
func (s *Server) insertInvite(ctx context.Context, tx *sql.Tx, p *principal, pt *api.Partner, in api.InviteCreate, field string) (*api.Invite, error) {
	var fe fieldErrors
	if !api.ValidEmail(in.Email) {
		fe.add("email", "invalid", "%q is not a valid email address", in.Email)
	}
	if in.LifetimeSeconds == 0 {
		in.LifetimeSeconds = api.DefaultInviteLifetimeSeconds
	}
	if in.LifetimeSeconds < 60 || in.LifetimeSeconds > api.MaxInviteLifetimeSeconds {
		fe.add("lifetime_seconds", "out_of_range", "must be from 60 to %d (30 days)", api.MaxInviteLifetimeSeconds)
	}
	if in.AccessDurationSeconds < 0 {
		fe.add("access_duration_seconds", "out_of_range", "must not be negative")
	}
	if err := fe.err(); err != nil {
		return nil, prefixed(err, field)
	}
	roles, err := checkRoles(ctx, tx, p, pt.ID, "roles", in.Roles, func(string) bool { return true })
	if err != nil {
		return nil, prefixed(err, field)
	}
	if err := s.checkEmailFree(ctx, tx, p, in.Email, ""); err != nil {
		return nil, prefixed(err, field)
	}
	var pending string
	err = tx.QueryRowContext(ctx, `SELECT id FROM invites WHERE partner_id = ? AND email_norm = ? AND revoked_at IS NULL AND accepted_at IS NULL AND expires_at > ?`,
		pt.ID, api.NormalizeEmail(in.Email), micros(s.now())).Scan(&pending)
	if err == nil {
		pr := conflict(api.CodeInviteExists, "%s already has pending invite %s; resend or revoke it", in.Email, pending)
		pr.InviteID = pending
		return nil, prefixed(pr, field)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	now := s.now()
	token := newSecret("inv_")
	id := newID("inv", now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO invites (id, partner_id, email, email_norm, roles, lifetime_seconds, access_duration_seconds, token_hash,
		expires_at, send_count, invited_by, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 1, ?, ?)`,
		id, pt.ID, in.Email, api.NormalizeEmail(in.Email), encodeJSONList(roles), in.LifetimeSeconds, in.AccessDurationSeconds, hashSecret(token),
		micros(now.Add(time.Duration(in.LifetimeSeconds)*time.Second)), p.actor().ID, micros(now), micros(now)); err != nil {
		return nil, err
	}
	inv, err := s.loadInvite(ctx, tx, pt.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.mailInvite(ctx, tx, pt, inv, token); err != nil {
		return nil, err
	}
	return inv, s.audit(ctx, tx, p.actor(), inviteChange(inv, "invite.created", nil, inv))
}

func inviteChange(in *api.Invite, action string, before, after any) change {
	return change{partnerID: in.PartnerID, action: action, targetType: "invite", targetID: in.ID, targetUser: in.UserID, before: before, after: after}
}

func (s *Server) mailInvite(ctx context.Context, tx *sql.Tx, pt *api.Partner, in *api.Invite, token string) error {
	link := s.cfg.PublicURL + "/invite/accept?token=" + url.QueryEscape(token)
	body := fmt.Sprintf("You are invited to %s's partner portal with the roles %s.\nAccept before %s: %s\n",
		pt.Name, strings.Join(in.Roles, ", "), in.ExpiresAt.Format(time.RFC1123), link)
	return s.mail(ctx, tx, in.Email, "invite", "Your invitation to "+pt.Name, body, link, token)
}

// mail puts a message in the outbox, the portal's mail sink.
func (s *Server) mail(ctx context.Context, tx *sql.Tx, to, kind, subject, body, link, token string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (to_addr, kind, subject, body, link, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		api.NormalizeEmail(to), kind, subject, body, link, token, micros(s.now()))
	return err
}

// invitePartner loads the partner of an invite route for a caller who manages invites.
func (s *Server) invitePartner(r *http.Request, q querier, p *principal) (*api.Partner, error) {
	pt, err := s.partnerFor(r.Context(), q, p, r.PathValue("partner_id"))
	if err != nil {
		return nil, err
	}
	return pt, p.requireUserAdmin(pt, api.PermInvitesManage)
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		pt, err := s.invitePartner(r, tx, p)
		if err != nil {
			return nil, err
		}
		var in api.InviteCreate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		inv, err := s.insertInvite(r.Context(), tx, p, pt, in, "")
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: inv, version: inv.Version, location: "/v1/partners/" + pt.ID + "/invites/" + inv.ID}, nil
	})
}

func (s *Server) createInviteBatch(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		pt, err := s.invitePartner(r, tx, p)
		if err != nil {
			return nil, err
		}
		var in api.InviteBatchCreate
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		var fe fieldErrors
		if len(in.Invites) < 1 || len(in.Invites) > api.MaxInviteBatch {
			fe.add("invites", "size", "must hold 1 to %d invites", api.MaxInviteBatch)
		}
		seen := map[string]int{}
		for i, one := range in.Invites {
			if j, dup := seen[api.NormalizeEmail(one.Email)]; dup {
				fe.add("invites["+itoa(i)+"].email", "duplicate", "same email as invites[%d]", j)
			}
			seen[api.NormalizeEmail(one.Email)] = i
		}
		if err := fe.err(); err != nil {
			return nil, err
		}
		out := api.InviteList{Invites: []api.Invite{}}
		for i, one := range in.Invites {
			inv, err := s.insertInvite(r.Context(), tx, p, pt, one, "invites["+itoa(i)+"].")
			if err != nil {
				return nil, err // the transaction rolls back: all or nothing
			}
			out.Invites = append(out.Invites, *inv)
		}
		return &reply{status: http.StatusCreated, body: out}, nil
	})
}

// inviteForChange loads an invite the principal may change, checking If-Match
// and that its status is one of allowed.
func (s *Server) inviteForChange(r *http.Request, tx *sql.Tx, p *principal, allowed ...string) (*api.Partner, *api.Invite, error) {
	pt, err := s.invitePartner(r, tx, p)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.loadInvite(r.Context(), tx, pt.ID, r.PathValue("invite_id"))
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(allowed, in.Status) {
		return nil, nil, conflict(api.CodeInviteNotPending, "invite %s is %s; this needs it to be %s", in.ID, in.Status, strings.Join(allowed, " or "))
	}
	return pt, in, checkIfMatch(r, in.Version)
}

func (s *Server) updateInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		_, in, err := s.inviteForChange(r, tx, p, api.InvitePending)
		if err != nil {
			return nil, err
		}
		var upd api.InviteUpdate
		if err := decodeStrict(r, body, &upd, false); err != nil {
			return nil, err
		}
		roles := in.Roles
		if upd.Roles != nil {
			if roles, err = checkRoles(ctx, tx, p, in.PartnerID, "roles", *upd.Roles, func(k string) bool { return !slices.Contains(in.Roles, k) }); err != nil {
				return nil, err
			}
		}
		access := in.AccessDurationSeconds
		if upd.AccessDurationSeconds != nil {
			if access = *upd.AccessDurationSeconds; access < 0 {
				return nil, (fieldErrors{{Field: "access_duration_seconds", Code: "out_of_range", Message: "must not be negative"}}).err()
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET roles = ?, access_duration_seconds = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			encodeJSONList(roles), access, micros(s.now()), in.ID); err != nil {
			return nil, err
		}
		return s.inviteChanged(r, tx, p, in, "invite.updated")
	})
}

// inviteChanged reloads a changed invite, records the change and answers with it.
func (s *Server) inviteChanged(r *http.Request, tx *sql.Tx, p *principal, before *api.Invite, action string) (*reply, error) {
	after, err := s.loadInvite(r.Context(), tx, before.PartnerID, before.ID)
	if err != nil {
		return nil, err
	}
	if err := s.audit(r.Context(), tx, p.actor(), inviteChange(after, action, before, after)); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: after, version: after.Version}, nil
}

func (s *Server) resendInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		pt, in, err := s.inviteForChange(r, tx, p, api.InvitePending, api.InviteExpired)
		if err != nil {
			return nil, err
		}
		var rs api.InviteResend
		if err := decodeStrict(r, body, &rs, true); err != nil {
			return nil, err
		}
		lifetime := in.LifetimeSeconds
		if rs.LifetimeSeconds != 0 {
			lifetime = rs.LifetimeSeconds
		}
		if lifetime < 60 || lifetime > api.MaxInviteLifetimeSeconds {
			return nil, (fieldErrors{{Field: "lifetime_seconds", Code: "out_of_range", Message: fmt.Sprintf("must be from 60 to %d (30 days)", api.MaxInviteLifetimeSeconds)}}).err()
		}
		token := newSecret("inv_")
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET token_hash = ?, lifetime_seconds = ?, expires_at = ?, send_count = send_count + 1, version = version + 1, updated_at = ? WHERE id = ?`,
			hashSecret(token), lifetime, micros(now.Add(time.Duration(lifetime)*time.Second)), micros(now), in.ID); err != nil {
			return nil, err
		}
		rep, err := s.inviteChanged(r, tx, p, in, "invite.resent")
		if err != nil {
			return nil, err
		}
		inv, ok := rep.body.(*api.Invite)
		if !ok {
			return nil, fmt.Errorf("resend invite %s: reply body is %T, not *api.Invite", in.ID, rep.body)
		}
		return rep, s.mailInvite(ctx, tx, pt, inv, token)
	})
}

func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.write(w, r, p, func(tx *sql.Tx, _ []byte) (*reply, error) {
		_, in, err := s.inviteForChange(r, tx, p, api.InvitePending, api.InviteExpired)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(r.Context(), `UPDATE invites SET revoked_at = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			micros(s.now()), micros(s.now()), in.ID); err != nil {
			return nil, err
		}
		return s.inviteChanged(r, tx, p, in, "invite.revoked")
	})
}

// acceptInvite is the person following the emailed link: it creates their
// user with the invite's roles.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, nil, func(tx *sql.Tx, body []byte) (*reply, error) {
		ctx := r.Context()
		var in api.InviteAccept
		if err := decodeStrict(r, body, &in, false); err != nil {
			return nil, err
		}
		var fe fieldErrors
		checkPassword(&fe, in.Password)
		validateUserFields(&fe, nil, &in.FirstName, &in.LastName, nil, nil, s.now())
		if err := fe.err(); err != nil {
			return nil, err
		}
		var id, partnerID string
		err := tx.QueryRowContext(ctx, `SELECT id, partner_id FROM invites WHERE token_hash = ?`, hashSecret(in.Token)).Scan(&id, &partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("invitation (the link is not valid; it may have been replaced by a newer one)")
		}
		if err != nil {
			return nil, err
		}
		inv, err := s.loadInvite(ctx, tx, partnerID, id)
		if err != nil {
			return nil, err
		}
		if inv.Status != api.InvitePending {
			return nil, conflict(api.CodeInviteNotPending, "this invitation is %s; ask for a new one", inv.Status)
		}
		if err := s.checkEmailFree(ctx, tx, nil, inv.Email, ""); err != nil {
			return nil, err
		}
		create := api.UserCreate{Email: inv.Email, FirstName: in.FirstName, LastName: in.LastName}
		password := hashPassword(in.Password)
		now := s.now()
		if inv.AccessDurationSeconds > 0 {
			end := now.Add(time.Duration(inv.AccessDurationSeconds) * time.Second)
			create.AccessExpiresAt = &end
		}
		actor := api.Actor{Type: "public", ID: inv.ID, Email: inv.Email}
		u, err := s.insertUser(ctx, tx, api.Actor{ID: inv.InvitedBy}, partnerID, create, inv.Roles, password, now)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET accepted_at = ?, user_id = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			micros(now), u.ID, micros(now), inv.ID); err != nil {
			return nil, err
		}
		after, err := s.loadInvite(ctx, tx, partnerID, inv.ID)
		if err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, actor, inviteChange(after, "invite.accepted", inv, after)); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, actor, userChange(u, "user.created", nil, u)); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: u, version: u.Version, location: "/v1/partners/" + partnerID + "/users/" + u.ID}, nil
	})
}
