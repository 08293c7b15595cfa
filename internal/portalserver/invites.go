package portalserver

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// inviteTokenPrefix starts the token of an emailed invite link: its own, not
// inv_, the prefix of invite ids, so a token is never taken for an id.
const inviteTokenPrefix = "invtok_"

const inviteCols = `id, partner_id, email, roles, lifetime_seconds, access_duration_seconds, expires_at, accepted_at,
	revoked_at, COALESCE(user_id, ''), send_count, invited_by, version, created_at, updated_at`

// scanInvite reads an invite; its status depends on the time now.
func scanInvite(row scanner, now time.Time) (api.Invite, error) {
	var in api.Invite
	var roles string
	var expires, created, updated int64
	var accepted, revoked sql.NullInt64
	if err := row.Scan(&in.ID, &in.PartnerID, &in.Email, &roles, &in.LifetimeSeconds, &in.AccessDurationSeconds, &expires, &accepted,
		&revoked, &in.UserID, &in.SendCount, &in.InvitedBy, &in.Version, &created, &updated); err != nil {
		return in, err
	}
	var err error
	in.Roles, err = decodeJSONList(roles)
	in.ExpiresAt, in.CreatedAt, in.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	switch {
	case revoked.Valid:
		in.Status, in.RespondedAt = api.InviteRevoked, nil
	case accepted.Valid:
		in.Status, in.RespondedAt = api.InviteAccepted, nullTime(accepted)
	case !in.ExpiresAt.After(now):
		in.Status = api.InviteExpired
	default:
		in.Status = api.InvitePending
	}
	return in, err
}

// invite loads an invite of the partner; 404 otherwise.
func (v *view) invite(partnerID, id string) (*api.Invite, error) {
	in, err := scanInvite(v.queryRow(`SELECT `+inviteCols+` FROM invites WHERE id = ? AND partner_id = ?`, id, partnerID), v.now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("invite " + id)
	}
	return &in, err
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request, p *principal) error {
	l, err := s.partnerList(r, p, api.PermUsersRead)
	if err != nil {
		return err
	}
	status := l.oneOf("status", api.InvitePending, api.InviteAccepted, api.InviteExpired, api.InviteRevoked)
	if err := l.err(); err != nil {
		return err
	}
	if email := l.str("email"); email != "" {
		l.filter("email_norm = ?", api.NormalizeEmail(email))
	}
	now := micros(l.v.now)
	switch status {
	case api.InviteRevoked:
		l.filter("revoked_at IS NOT NULL")
	case api.InviteAccepted:
		l.filter("revoked_at IS NULL AND accepted_at IS NOT NULL")
	case api.InviteExpired:
		l.filter("revoked_at IS NULL AND accepted_at IS NULL AND expires_at <= ?", now)
	case api.InvitePending:
		l.filter("revoked_at IS NULL AND accepted_at IS NULL AND expires_at > ?", now)
	}
	invites, err := fetchPage(l, `SELECT `+inviteCols+` FROM invites`, keyset{column: "id"},
		func(row scanner) (api.Invite, error) { return scanInvite(row, l.v.now) })
	if err != nil {
		return err
	}
	out := api.InviteList{}
	out.Invites, out.NextPageToken = pageOf(l, invites, func(in api.Invite) string { return in.ID })
	return sendJSON(w, out, 0)
}

func (s *Server) getInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := v.partnerFor(p, r.PathValue("partner_id"), api.PermUsersRead)
	if err != nil {
		return err
	}
	in, err := v.invite(pt.ID, r.PathValue("invite_id"))
	if err != nil {
		return err
	}
	return sendJSON(w, in, in.Version)
}

// prefixed renames the fields of a problem, for batch entries.
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

// validateInvite checks an invite's fields (field is the JSON path of a
// batch entry, with its dot, or "") and sets the default lifetime.
func validateInvite(v *view, fe *fieldErrors, partnerID string, in *api.InviteCreate, field string) error {
	checkEmail(fe, field+"email", in.Email)
	if in.LifetimeSeconds == 0 {
		in.LifetimeSeconds = api.DefaultInviteLifetimeSeconds
	}
	if in.LifetimeSeconds < 60 || in.LifetimeSeconds > api.MaxInviteLifetimeSeconds {
		fe.add(field+"lifetime_seconds", api.FieldOutOfRange, "must be from 60 to %d (30 days)", api.MaxInviteLifetimeSeconds)
	}
	if in.AccessDurationSeconds < 0 {
		fe.add(field+"access_duration_seconds", api.FieldOutOfRange, "must not be negative")
	}
	return checkRoleKeys(v, fe, partnerID, field+"roles", in.Roles)
}

// insertInvite stores one validated invite and mails its link.
func (s *Server) insertInvite(v *view, p *principal, pt *api.Partner, in api.InviteCreate, field string) (*api.Invite, error) {
	roles, err := checkRoles(v, p, pt.ID, "roles", in.Roles, grantedAll)
	if err != nil {
		return nil, prefixed(err, field)
	}
	if err := checkEmailFree(v, p, in.Email, ""); err != nil {
		return nil, prefixed(err, field)
	}
	var pending string
	err = v.queryRow(`SELECT id FROM invites WHERE partner_id = ? AND email_norm = ? AND revoked_at IS NULL AND accepted_at IS NULL AND expires_at > ?`,
		pt.ID, api.NormalizeEmail(in.Email), micros(v.now)).Scan(&pending)
	if err == nil {
		pr := conflict(api.CodeInviteExists, "%s already has pending invite %s; resend or revoke it", in.Email, pending)
		pr.InviteID = pending
		return nil, prefixed(pr, field)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	token := newSecret(inviteTokenPrefix)
	id := newID("inv", v.now)
	if err := v.exec(`INSERT INTO invites (id, partner_id, email, email_norm, roles, lifetime_seconds, access_duration_seconds, token_hash,
		expires_at, send_count, invited_by, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 1, ?, ?)`,
		id, pt.ID, in.Email, api.NormalizeEmail(in.Email), encodeJSONList(roles), in.LifetimeSeconds, in.AccessDurationSeconds, hashSecret(token),
		micros(v.now.Add(time.Duration(in.LifetimeSeconds)*time.Second)), p.actor().ID, micros(v.now), micros(v.now)); err != nil {
		return nil, err
	}
	inv, err := v.invite(pt.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.mailInvite(v, pt, inv, token); err != nil {
		return nil, err
	}
	return inv, v.audit(p.actor(), inviteChange(inv, api.AuditInviteCreated, nil, inv))
}

func inviteChange(in *api.Invite, action string, before, after any) change {
	return change{partnerID: in.PartnerID, action: action, targetType: api.TargetInvite, targetID: in.ID, targetUser: in.UserID, before: before, after: after}
}

func (s *Server) mailInvite(v *view, pt *api.Partner, in *api.Invite, token string) error {
	link := s.cfg.PublicURL + "/invite/accept?token=" + url.QueryEscape(token)
	body := fmt.Sprintf("You are invited to %s's partner portal with the roles %s.\nAccept before %s: %s\n",
		pt.Name, strings.Join(in.Roles, ", "), in.ExpiresAt.Format(time.RFC1123), link)
	return mail(v, in.Email, "invite", "Your invitation to "+pt.Name, body, link, token)
}

// invitePartner loads the partner of an invite route for a caller who manages invites.
func invitePartner(v *view, r *http.Request, p *principal) (*api.Partner, error) {
	return v.partnerFor(p, r.PathValue("partner_id"), api.PermInvitesManage)
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := invitePartner(v, r, p)
	if err != nil {
		return err
	}
	var in api.InviteCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	if err := validateInvite(v, &fe, pt.ID, &in, ""); err != nil {
		return err
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		inv, err := s.insertInvite(v, p, pt, in, "")
		if err != nil {
			return nil, err
		}
		return replyCreated(inv, inv.Version, "/v1/partners/"+pt.ID+"/invites/"+inv.ID), nil
	})
}

func (s *Server) createInviteBatch(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := invitePartner(v, r, p)
	if err != nil {
		return err
	}
	var in api.InviteBatchCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	if len(in.Invites) < 1 || len(in.Invites) > api.MaxInviteBatch {
		fe.add("invites", api.FieldSize, "must hold 1 to %d invites", api.MaxInviteBatch)
	}
	seen := map[string]int{}
	for i, one := range in.Invites {
		if j, dup := seen[api.NormalizeEmail(one.Email)]; dup {
			fe.add("invites["+strconv.Itoa(i)+"].email", api.FieldDuplicate, "same email as invites[%d]", j)
		}
		seen[api.NormalizeEmail(one.Email)] = i
	}
	if err := fe.err(); err != nil {
		return err
	}
	for i := range in.Invites {
		if err := validateInvite(v, &fe, pt.ID, &in.Invites[i], "invites["+strconv.Itoa(i)+"]."); err != nil {
			return err
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		out := api.InviteList{Invites: []api.Invite{}}
		for i, one := range in.Invites {
			inv, err := s.insertInvite(v, p, pt, one, "invites["+strconv.Itoa(i)+"].")
			if err != nil {
				return nil, err // the transaction rolls back: all or nothing
			}
			out.Invites = append(out.Invites, *inv)
		}
		return replyCreated(out, 0, ""), nil
	})
}

// inviteForChange loads the route's invite for a change, checking If-Match
// and that its status is one of allowed.
func inviteForChange(v *view, r *http.Request, partnerID string, allowed ...string) (*api.Invite, error) {
	in, err := v.invite(partnerID, r.PathValue("invite_id"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(allowed, in.Status) {
		return nil, conflict(api.CodeInviteNotPending, "invite %s is %s; this needs it to be %s", in.ID, in.Status, strings.Join(allowed, " or "))
	}
	return in, checkIfMatch(r, in.Version)
}

func (s *Server) updateInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	v := s.view(r)
	pt, err := invitePartner(v, r, p)
	if err != nil {
		return err
	}
	var upd api.InviteUpdate
	if err := decode(r, &upd); err != nil {
		return err
	}
	var fe fieldErrors
	if upd.AccessDurationSeconds != nil && *upd.AccessDurationSeconds < 0 {
		fe.add("access_duration_seconds", api.FieldOutOfRange, "must not be negative")
	}
	if upd.Roles != nil {
		if err := checkRoleKeys(v, &fe, pt.ID, "roles", *upd.Roles); err != nil {
			return err
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		in, err := inviteForChange(v, r, pt.ID, api.InvitePending)
		if err != nil {
			return nil, err
		}
		roles := in.Roles
		if upd.Roles != nil {
			added := func(k string) bool { return !slices.Contains(in.Roles, k) }
			if roles, err = checkRoles(v, p, in.PartnerID, "roles", *upd.Roles, added); err != nil {
				return nil, err
			}
		}
		access := in.AccessDurationSeconds
		if upd.AccessDurationSeconds != nil {
			access = *upd.AccessDurationSeconds
		}
		if err := v.exec(`UPDATE invites SET roles = ?, access_duration_seconds = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			encodeJSONList(roles), access, micros(v.now), in.ID); err != nil {
			return nil, err
		}
		return inviteChanged(v, p, in, api.AuditInviteUpdated)
	})
}

// inviteChanged reloads a changed invite, records the change and answers with it.
func inviteChanged(v *view, p *principal, before *api.Invite, action string) (*reply, error) {
	after, err := v.invite(before.PartnerID, before.ID)
	if err != nil {
		return nil, err
	}
	if err := v.audit(p.actor(), inviteChange(after, action, before, after)); err != nil {
		return nil, err
	}
	return replyOK(after, after.Version), nil
}

func (s *Server) resendInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := invitePartner(s.view(r), r, p)
	if err != nil {
		return err
	}
	var rs api.InviteResend
	if err := decodeOptional(r, &rs); err != nil {
		return err
	}
	if rs.LifetimeSeconds != 0 && (rs.LifetimeSeconds < 60 || rs.LifetimeSeconds > api.MaxInviteLifetimeSeconds) {
		return (fieldErrors{{Field: "lifetime_seconds", Code: api.FieldOutOfRange, Message: fmt.Sprintf("must be from 60 to %d (30 days)", api.MaxInviteLifetimeSeconds)}}).err()
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		in, err := inviteForChange(v, r, pt.ID, api.InvitePending, api.InviteExpired)
		if err != nil {
			return nil, err
		}
		lifetime := in.LifetimeSeconds
		if rs.LifetimeSeconds != 0 {
			lifetime = rs.LifetimeSeconds
		}
		token := newSecret(inviteTokenPrefix)
		if err := v.exec(`UPDATE invites SET token_hash = ?, lifetime_seconds = ?, expires_at = ?, send_count = send_count + 1, version = version + 1, updated_at = ? WHERE id = ?`,
			hashSecret(token), lifetime, micros(v.now.Add(time.Duration(lifetime)*time.Second)), micros(v.now), in.ID); err != nil {
			return nil, err
		}
		after, err := v.invite(pt.ID, in.ID)
		if err != nil {
			return nil, err
		}
		if err := s.mailInvite(v, pt, after, token); err != nil {
			return nil, err
		}
		if err := v.audit(p.actor(), inviteChange(after, api.AuditInviteResent, in, after)); err != nil {
			return nil, err
		}
		return replyOK(after, after.Version), nil
	})
}

func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	pt, err := invitePartner(s.view(r), r, p)
	if err != nil {
		return err
	}
	return s.write(w, r, func(v *view) (*reply, error) {
		in, err := inviteForChange(v, r, pt.ID, api.InvitePending, api.InviteExpired)
		if err != nil {
			return nil, err
		}
		if err := v.exec(`UPDATE invites SET revoked_at = ?, version = version + 1, updated_at = ? WHERE id = ?`, micros(v.now), micros(v.now), in.ID); err != nil {
			return nil, err
		}
		return inviteChanged(v, p, in, api.AuditInviteRevoked)
	})
}

// acceptInvite is the person following the emailed link: it creates their
// user with the invite's roles.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var in api.InviteAccept
	if err := decode(r, &in); err != nil {
		return err
	}
	var fe fieldErrors
	checkPassword(&fe, in.Password)
	validateUserFields(&fe, nil, &in.FirstName, &in.LastName, nil, nil, time.Time{})
	if err := fe.err(); err != nil {
		return err
	}
	password := hashPassword(in.Password) // slow on purpose: not under the write lock
	return s.write(w, r, func(v *view) (*reply, error) {
		var id, partnerID string
		err := v.queryRow(`SELECT id, partner_id FROM invites WHERE token_hash = ?`, hashSecret(in.Token)).Scan(&id, &partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("invitation (the link is not valid; it may have been replaced by a newer one)")
		}
		if err != nil {
			return nil, err
		}
		inv, err := v.invite(partnerID, id)
		if err != nil {
			return nil, err
		}
		if inv.Status != api.InvitePending {
			return nil, conflict(api.CodeInviteNotPending, "this invitation is %s; ask for a new one", inv.Status)
		}
		if err := checkEmailFree(v, nil, inv.Email, ""); err != nil {
			return nil, err
		}
		create := api.UserCreate{Email: inv.Email, FirstName: in.FirstName, LastName: in.LastName}
		if inv.AccessDurationSeconds > 0 {
			end := v.now.Add(time.Duration(inv.AccessDurationSeconds) * time.Second)
			create.AccessExpiresAt = &end
		}
		actor := api.Actor{Type: "public", ID: inv.ID, Email: inv.Email}
		u, err := insertUser(v, api.Actor{ID: inv.InvitedBy}, partnerID, create, inv.Roles, password)
		if err != nil {
			return nil, err
		}
		if err := v.exec(`UPDATE invites SET accepted_at = ?, user_id = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			micros(v.now), u.ID, micros(v.now), inv.ID); err != nil {
			return nil, err
		}
		after, err := v.invite(partnerID, inv.ID)
		if err != nil {
			return nil, err
		}
		if err := v.audit(actor, inviteChange(after, api.AuditInviteAccepted, inv, after)); err != nil {
			return nil, err
		}
		if err := v.audit(actor, userChange(u, api.AuditUserCreated, nil, u)); err != nil {
			return nil, err
		}
		return replyCreated(u, u.Version, "/v1/partners/"+partnerID+"/users/"+u.ID), nil
	})
}
