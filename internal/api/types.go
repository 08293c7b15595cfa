// Package api holds the wire types of Portal API v1: the JSON bodies that
// api/openapi.yaml describes. The reference server and the typed client both
// use them, so the two cannot disagree on a field name. It imports nothing
// from Terraform and nothing from the server.
package api

import "time"

// Token kinds reported by GET /v1/me.
const (
	KindOperator = "operator"
	KindPartner  = "partner"
)

// Me is the answer of GET /v1/me: who the token is and what it may do.
type Me struct {
	Kind        string   `json:"kind"`
	TokenID     string   `json:"token_id"`
	TokenName   string   `json:"token_name"`
	UserID      string   `json:"user_id,omitempty"`
	Email       string   `json:"email,omitempty"`
	PartnerID   string   `json:"partner_id,omitempty"`
	Role        string   `json:"role,omitempty"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions"` // in effect: its roles' permissions less WithheldPermissions
	// CeilingRank is the highest role rank this token may grant: 0 when it
	// holds neither users.manage nor invites.manage in effect.
	CeilingRank int `json:"ceiling_rank"`
	// CeilingRole is the key of the highest built-in role this token may grant, or "" when it grants none.
	CeilingRole string `json:"ceiling_role,omitempty"`
	// UserAdminMinRole is the user_admin_min_role setting of the token's
	// partner (partner tokens only).
	UserAdminMinRole string `json:"user_admin_min_role,omitempty"`
	// WithheldPermissions are the permissions the token's roles carry that
	// its partner's user_admin_min_role withholds, as the token ranks below
	// that role; absent when none are.
	WithheldPermissions []string `json:"withheld_permissions,omitempty"`
}

// PartnerSettings are the settings of a partner.
type PartnerSettings struct {
	// UserAdminMinRole is the lowest built-in role that may manage users.
	UserAdminMinRole string `json:"user_admin_min_role"`
}

// Partner is a partner company.
type Partner struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Settings  PartnerSettings `json:"settings"`
	Version   int64           `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// PartnerCreate is the body of POST /v1/partners (operator tokens only).
type PartnerCreate struct {
	Name     string           `json:"name"`
	Settings *PartnerSettings `json:"settings,omitempty"`
}

// PartnerUpdate is the body of PATCH /v1/partners/{partner_id}.
type PartnerUpdate struct {
	Name     *string          `json:"name,omitempty"`
	Settings *PartnerSettings `json:"settings,omitempty"`
}

// PartnerList is a page of partners.
type PartnerList struct {
	Partners      []Partner `json:"partners"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

// Role is a built-in or custom role.
type Role struct {
	Key         string    `json:"key"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Rank        int       `json:"rank"`
	Permissions []string  `json:"permissions"`
	BuiltIn     bool      `json:"built_in"`
	PartnerID   string    `json:"partner_id,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// RoleCreate is the body of POST /v1/partners/{partner_id}/roles.
type RoleCreate struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions"`
}

// RoleUpdate is the body of PATCH /v1/partners/{partner_id}/roles/{role_key}.
type RoleUpdate struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Rank        *int      `json:"rank,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// RoleList is a page of roles.
type RoleList struct {
	Roles         []Role `json:"roles"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// User statuses.
const (
	UserInvited = "invited" // created, has not set a password yet
	UserActive  = "active"
	UserExpired = "expired" // access_expires_at has passed
	UserDeleted = "deleted" // soft-deleted, restorable
)

// User is a person with access to one partner.
type User struct {
	ID              string     `json:"id"`
	PartnerID       string     `json:"partner_id"`
	Email           string     `json:"email"`
	FirstName       string     `json:"first_name"`
	LastName        string     `json:"last_name"`
	Phone           *string    `json:"phone"` // E.164; null when the user has none
	Roles           []string   `json:"roles"`
	Status          string     `json:"status"`
	AccessExpiresAt *time.Time `json:"access_expires_at"`
	LastActivityAt  *time.Time `json:"last_activity_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	DeletedAt       *time.Time `json:"deleted_at"`
	Version         int64      `json:"version"`
}

// UserCreate is the body of POST /v1/partners/{partner_id}/users.
type UserCreate struct {
	Email           string     `json:"email"`
	FirstName       string     `json:"first_name,omitempty"`
	LastName        string     `json:"last_name,omitempty"`
	Phone           string     `json:"phone,omitempty"`
	Roles           []string   `json:"roles,omitempty"`
	AccessExpiresAt *time.Time `json:"access_expires_at,omitempty"`
}

// UserUpdate is the body of PATCH /v1/partners/{partner_id}/users/{user_id}.
// A field left out is unchanged. ClearAccessExpiry removes access_expires_at.
type UserUpdate struct {
	Email             *string    `json:"email,omitempty"`
	FirstName         *string    `json:"first_name,omitempty"`
	LastName          *string    `json:"last_name,omitempty"`
	Phone             *string    `json:"phone,omitempty"`
	Roles             *[]string  `json:"roles,omitempty"`
	AccessExpiresAt   *time.Time `json:"access_expires_at,omitempty"`
	ClearAccessExpiry bool       `json:"clear_access_expiry,omitempty"`
}

// UserList is a page of users.
type UserList struct {
	Users         []User `json:"users"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// UserListOptions are the filters of GET /v1/partners/{partner_id}/users.
type UserListOptions struct {
	Email          string
	Role           string
	Status         string
	EmailDomain    string
	IncludeDeleted bool
	InactiveFor    time.Duration // whole seconds; 0 for any
	PageSize       int
	PageToken      string
}

// MaxBatchOperations is how many operations one users batch may carry.
const MaxBatchOperations = 500

// Operations of a users batch.
const (
	BatchCreate  = "create"  // Create: a new user
	BatchUpdate  = "update"  // UserID, Version (If-Match; 0 for none) and Update
	BatchDelete  = "delete"  // UserID and Version: a soft delete
	BatchRestore = "restore" // UserID: brings back a removed user
)

// UserBatch is the body of POST /v1/partners/{partner_id}/users/batch:
// up to MaxBatchOperations operations, each applied and answered on its
// own, as the single-user route would, so that one bad operation never
// blocks the others.
type UserBatch struct {
	Operations []UserBatchOperation `json:"operations"`
}

// UserBatchOperation is one operation of a batch (see the Batch* ops).
type UserBatchOperation struct {
	Op      string      `json:"op"`
	UserID  string      `json:"user_id,omitempty"`
	Version int64       `json:"version,omitempty"`
	Create  *UserCreate `json:"create,omitempty"`
	Update  *UserUpdate `json:"update,omitempty"`
}

// UserBatchResult answers a batch: one result per operation, in order.
type UserBatchResult struct {
	Results []UserBatchItem `json:"results"`
}

// UserBatchItem is the answer to one operation: the status the single-user
// route would have answered, with the user (create, update, restore; none
// for delete) or the problem. A problem's field paths are relative to the
// operation ("phone", "roles[1]" of its create or update body, or
// "user_id"), and its RequestID is that of the request that applied the
// batch, which the operations' audit events record.
type UserBatchItem struct {
	Status  int      `json:"status"`
	User    *User    `json:"user,omitempty"`
	Problem *Problem `json:"problem,omitempty"`
}

// Grant is one role held by one user.
type Grant struct {
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
}

// GrantList is the set of roles a user holds.
type GrantList struct {
	Grants []Grant `json:"grants"`
}

// GrantsReplace is the body of PUT /v1/partners/{partner_id}/users/{user_id}/roles.
type GrantsReplace struct {
	Roles []string `json:"roles"`
}

// Invite statuses.
const (
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteExpired  = "expired"
	InviteRevoked  = "revoked"
)

// Invite lifetimes, in seconds.
const (
	DefaultInviteLifetimeSeconds = 7 * 24 * 3600
	MaxInviteLifetimeSeconds     = 30 * 24 * 3600
	MaxInviteBatch               = 10
)

// Invite is an invitation by email to join a partner.
type Invite struct {
	ID                    string     `json:"id"`
	PartnerID             string     `json:"partner_id"`
	Email                 string     `json:"email"`
	Roles                 []string   `json:"roles"`
	Status                string     `json:"status"`
	LifetimeSeconds       int64      `json:"lifetime_seconds"`
	AccessDurationSeconds int64      `json:"access_duration_seconds"`
	ExpiresAt             time.Time  `json:"expires_at"`
	RespondedAt           *time.Time `json:"responded_at"`
	UserID                string     `json:"user_id,omitempty"`
	SendCount             int64      `json:"send_count"`
	InvitedBy             string     `json:"invited_by"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	Version               int64      `json:"version"`
}

// InviteCreate is the body of POST /v1/partners/{partner_id}/invites.
// LifetimeSeconds 0 means the default (7 days); AccessDurationSeconds 0 means
// access that does not end.
type InviteCreate struct {
	Email                 string   `json:"email"`
	Roles                 []string `json:"roles,omitempty"`
	LifetimeSeconds       int64    `json:"lifetime_seconds,omitempty"`
	AccessDurationSeconds int64    `json:"access_duration_seconds,omitempty"`
}

// InviteBatchCreate is the body of POST /v1/partners/{partner_id}/invites/batch.
type InviteBatchCreate struct {
	Invites []InviteCreate `json:"invites"`
}

// InviteUpdate is the body of PATCH /v1/partners/{partner_id}/invites/{invite_id}
// (pending invites only).
type InviteUpdate struct {
	Roles                 *[]string `json:"roles,omitempty"`
	AccessDurationSeconds *int64    `json:"access_duration_seconds,omitempty"`
}

// InviteResend is the optional body of POST .../invites/{invite_id}/resend.
type InviteResend struct {
	LifetimeSeconds int64 `json:"lifetime_seconds,omitempty"`
}

// InviteList is a page of invites.
type InviteList struct {
	Invites       []Invite `json:"invites"`
	NextPageToken string   `json:"next_page_token,omitempty"`
}

// InviteListOptions are the filters of GET /v1/partners/{partner_id}/invites.
type InviteListOptions struct {
	Status    string
	Email     string
	PageSize  int
	PageToken string
}

// InviteAccept is the body of POST /v1/invites/accept, sent by the person
// who followed the emailed link. It needs no API token.
type InviteAccept struct {
	Token     string `json:"token"`
	Password  string `json:"password"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// PasswordReset answers POST
// /v1/partners/{partner_id}/users/{user_id}/password-reset: a link to choose
// a new password was mailed to Email and works until ExpiresAt. It never
// holds a password nor the link's token.
type PasswordReset struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PasswordSetup is the body of POST /v1/password-setup, sent by a new user
// who followed the emailed password link. It needs no API token.
type PasswordSetup struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// Actor is who made a change.
type Actor struct {
	Type  string `json:"type"` // "operator", "user" or "public" (a person following an emailed link)
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// AuditEvent records one change.
type AuditEvent struct {
	ID         string         `json:"id"`
	PartnerID  string         `json:"partner_id"`
	Time       time.Time      `json:"time"`
	Actor      Actor          `json:"actor"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	RequestID  string         `json:"request_id"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
}

// AuditEventList is a page of audit events, newest first.
type AuditEventList struct {
	Events        []AuditEvent `json:"events"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}

// AuditListOptions are the filters of GET /v1/partners/{partner_id}/audit-events.
type AuditListOptions struct {
	UserID    string // target user
	Actor     string // actor id or email
	Action    string
	Since     *time.Time
	PageSize  int
	PageToken string
}

// TokenCreate is the body of POST /v1/partners/{partner_id}/tokens: an API
// token for one user of the partner (tokens.manage).
type TokenCreate struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
}

// TokenCreated is the answer: the token is shown here once and stored hashed.
type TokenCreated struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	UserID    string    `json:"user_id"`
	PartnerID string    `json:"partner_id"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// Problem is an RFC 9457 problem+json body.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Code      string       `json:"code"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
	// UserID names the holder of an email on email_taken, when visible to the caller.
	UserID string `json:"user_id,omitempty"`
	// RestorableUserID names the soft-deleted holder of an email on user_deleted.
	RestorableUserID string `json:"restorable_user_id,omitempty"`
	// InviteID names the pending invite on invite_exists.
	InviteID string `json:"invite_id,omitempty"`
	// CeilingRank and ActorRole explain role_above_ceiling.
	CeilingRank int    `json:"ceiling_rank,omitempty"`
	ActorRole   string `json:"actor_role,omitempty"`
}

// FieldError is one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Problem codes: stable, documented in api/openapi.yaml.
const (
	CodeInvalidRequest       = "invalid_request"        // 400: malformed JSON, unknown field, bad query parameter
	CodeUnauthenticated      = "unauthenticated"        // 401
	CodeForbidden            = "forbidden"              // 403: lacks a permission
	CodeRoleAboveCeiling     = "role_above_ceiling"     // 403: grants a role above the actor's ceiling
	CodeInsufficientRank     = "insufficient_rank"      // 403: changes an account ranked at or above the actor
	CodeNotFound             = "not_found"              // 404
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeEmailTaken           = "email_taken"            // 409
	CodeUserDeleted          = "user_deleted"           // 409
	CodeInviteExists         = "invite_exists"          // 409
	CodeInviteNotPending     = "invite_not_pending"     // 409
	CodeLastOwner            = "last_owner"             // 409
	CodeRoleExists           = "role_exists"            // 409
	CodeRoleInUse            = "role_in_use"            // 409
	CodeUserNotDeleted       = "user_not_deleted"       // 409
	CodePreconditionFailed   = "precondition_failed"    // 412
	CodeBodyTooLarge         = "body_too_large"         // 413
	CodeUnsupportedMedia     = "unsupported_media_type" // 415
	CodeValidationFailed     = "validation_failed"      // 422
	CodeIdempotencyKeyReused = "idempotency_key_reused" // 422
	CodeRateLimited          = "rate_limited"           // 429
	CodeInternal             = "internal"               // 500
)

// ProblemType is the type of every problem portald sends: the problem is
// named by its code, and its title is the status's reason phrase (RFC 9457
// section 4.2.1).
const ProblemType = "about:blank"

// Field error codes: what is wrong with one field, FieldError.Code. The
// vocabulary is closed: api/openapi.yaml lists exactly these as the enum of
// FieldError.code, and the field says which value it is about (an email or
// a phone that is not valid is invalid, on the field email or phone).
const (
	FieldInvalid      = "invalid"       // not a valid value: format, length, or not one of the values allowed
	FieldInvalidText  = "invalid_text"  // a control or bidirectional formatting character
	FieldTooLong      = "too_long"      // over the field's length limit
	FieldTooPrecise   = "too_precise"   // a time finer than a microsecond
	FieldOutOfRange   = "out_of_range"  // a number outside the field's range
	FieldInPast       = "in_past"       // a time that must be in the future
	FieldSize         = "size"          // a list with too few or too many items
	FieldDuplicate    = "duplicate"     // the same value as an earlier item of the list
	FieldConflict     = "conflict"      // cannot be given together with another field
	FieldUnknownRole  = "unknown_role"  // no such role in the partner
	FieldUnknownUser  = "unknown_user"  // no such live user in the partner
	FieldNotHeld      = "not_held"      // a permission the caller's own role does not hold
	FieldAboveCeiling = "above_ceiling" // on 403 role_above_ceiling: the role or rank above the caller's ceiling
	FieldEmailTaken   = CodeEmailTaken  // on 409 email_taken: the email
	FieldUserDeleted  = CodeUserDeleted // on 409 user_deleted: the email
)

// FieldCodes lists every field error code.
var FieldCodes = []string{
	FieldInvalid, FieldInvalidText, FieldTooLong, FieldTooPrecise, FieldOutOfRange, FieldInPast, FieldSize,
	FieldDuplicate, FieldConflict, FieldUnknownRole, FieldUnknownUser, FieldNotHeld, FieldAboveCeiling,
	FieldEmailTaken, FieldUserDeleted,
}

// Audit event actions, AuditEvent.Action: the enum of AuditEvent.action in
// api/openapi.yaml.
const (
	AuditPartnerCreated        = "partner.created"
	AuditPartnerUpdated        = "partner.updated"
	AuditRoleCreated           = "role.created"
	AuditRoleUpdated           = "role.updated"
	AuditRoleDeleted           = "role.deleted"
	AuditUserCreated           = "user.created" // by a create, an accepted invite or bootstrap
	AuditUserUpdated           = "user.updated"
	AuditUserDeleted           = "user.deleted"
	AuditUserRestored          = "user.restored"
	AuditUserPasswordSet       = "user.password_set"
	AuditUserPasswordResetSent = "user.password_reset_sent" // a reset link mailed; user.password_set once it is used
	AuditUserRolesReplaced     = "user.roles_replaced"      // PUT .../roles
	AuditUserRoleGranted       = "user.role_granted"
	AuditUserRoleRevoked       = "user.role_revoked"
	AuditInviteCreated         = "invite.created"
	AuditInviteUpdated         = "invite.updated"
	AuditInviteResent          = "invite.resent"
	AuditInviteRevoked         = "invite.revoked"
	AuditInviteAccepted        = "invite.accepted"
	AuditTokenCreated          = "token.created"
)

// AuditActions lists every audit event action.
var AuditActions = []string{
	AuditPartnerCreated, AuditPartnerUpdated, AuditRoleCreated, AuditRoleUpdated, AuditRoleDeleted,
	AuditUserCreated, AuditUserUpdated, AuditUserDeleted, AuditUserRestored, AuditUserPasswordSet,
	AuditUserPasswordResetSent, AuditUserRolesReplaced, AuditUserRoleGranted, AuditUserRoleRevoked, AuditInviteCreated, AuditInviteUpdated,
	AuditInviteResent, AuditInviteRevoked, AuditInviteAccepted, AuditTokenCreated,
}

// Audit event target types, AuditEvent.TargetType.
const (
	TargetPartner = "partner"
	TargetRole    = "role"
	TargetUser    = "user"
	TargetInvite  = "invite"
	TargetToken   = "token"
)

// AuditTargetTypes lists every audit event target type.
var AuditTargetTypes = []string{TargetPartner, TargetRole, TargetUser, TargetInvite, TargetToken}

// Dev-mode types (portald --dev only).

// OutboxMessage is one mail the portal sent.
type OutboxMessage struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`
	Kind      string    `json:"kind"` // "invite", "password_setup" or "password_reset"
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Link      string    `json:"link"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// OutboxList is the dev mail outbox, oldest first.
type OutboxList struct {
	Messages []OutboxMessage `json:"messages"`
}

// Clock is the dev test clock.
type Clock struct {
	Now time.Time `json:"now"`
}

// ClockAdvance is the body of POST /v1/dev/clock/advance.
type ClockAdvance struct {
	Seconds int64 `json:"seconds"`
}
