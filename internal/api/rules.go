package api

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Permissions a role may carry. data.* stands for the portal's own features.
const (
	PermPartnerRead   = "partner.read"
	PermPartnerManage = "partner.manage"
	PermUsersRead     = "users.read"
	PermUsersManage   = "users.manage"
	PermInvitesManage = "invites.manage"
	PermRolesRead     = "roles.read"
	PermRolesManage   = "roles.manage"
	PermAuditRead     = "audit.read"
	PermDataRead      = "data.read"
	PermDataWrite     = "data.write"
	PermTokensManage  = "tokens.manage"
)

// AllPermissions lists every permission, sorted.
var AllPermissions = []string{
	PermAuditRead, PermDataRead, PermDataWrite, PermInvitesManage, PermPartnerManage,
	PermPartnerRead, PermRolesManage, PermRolesRead, PermTokensManage, PermUsersManage, PermUsersRead,
}

// Built-in role keys and ranks.
const (
	RoleOwner    = "owner"
	RoleAdmin    = "admin"
	RoleManager  = "manager"
	RoleMember   = "member"
	RoleReadOnly = "read_only"

	RankOwner    = 100
	RankAdmin    = 80
	RankManager  = 60
	RankMember   = 40
	RankReadOnly = 20
	// RankOperator is the rank of a portal operator token: above every role.
	RankOperator = 1000
)

// BuiltinRole describes one built-in role.
type BuiltinRole struct {
	Key         string
	Name        string
	Rank        int
	Permissions []string
}

var (
	readOnlyPerms = []string{PermPartnerRead, PermUsersRead, PermRolesRead, PermDataRead}
	memberPerms   = append(slices.Clone(readOnlyPerms), PermDataWrite)
	managerPerms  = append(slices.Clone(memberPerms), PermUsersManage, PermInvitesManage, PermAuditRead)
	adminPerms    = append(slices.Clone(managerPerms), PermRolesManage, PermPartnerManage)
	ownerPerms    = append(slices.Clone(adminPerms), PermTokensManage)
)

// BuiltinRoles are the built-in roles, highest rank first.
var BuiltinRoles = []BuiltinRole{
	{RoleOwner, "Owner", RankOwner, sorted(ownerPerms)},
	{RoleAdmin, "Administrator", RankAdmin, sorted(adminPerms)},
	{RoleManager, "Manager", RankManager, sorted(managerPerms)},
	{RoleMember, "Member", RankMember, sorted(memberPerms)},
	{RoleReadOnly, "Read-only", RankReadOnly, sorted(readOnlyPerms)},
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Builtin returns the built-in role with that key.
func Builtin(key string) (BuiltinRole, bool) {
	for _, r := range BuiltinRoles {
		if r.Key == key {
			return r, true
		}
	}
	return BuiltinRole{}, false
}

// CeilingRank is the highest rank an actor of the given rank may grant:
// an owner (or operator) any role, an admin up to manager, a manager up to
// member, anyone else nothing. It goes by rank alone, so a custom role is
// ranked among the built-in ones: rank 70 grants up to member, as a
// manager does, rank 85 up to manager, as an admin does. Every ceiling is
// below the actor's own rank (only an owner grants its own role), a higher
// rank never grants less, and a custom role, ranked below its creator, never
// grants more than its creator. It applies only to an actor who may grant
// at all (see GrantCeiling).
func CeilingRank(actorRank int) int {
	switch {
	case actorRank >= RankOwner:
		return RankOwner
	case actorRank >= RankAdmin:
		return RankManager
	case actorRank >= RankManager:
		return RankMember
	default:
		return 0
	}
}

// UserAdminPermissions are the permissions a partner's user_admin_min_role
// gates: changing the partner's users, their roles and its invites.
var UserAdminPermissions = []string{PermInvitesManage, PermUsersManage}

// UserAdminAllowed reports whether an actor of the given rank may use the
// UserAdminPermissions its roles carry in a partner whose user_admin_min_role
// is minRole: its rank is at least that built-in role's. An unknown minRole
// counts as the default, manager.
func UserAdminAllowed(actorRank int, minRole string) bool {
	floor, ok := Builtin(minRole)
	if !ok {
		floor, _ = Builtin(RoleManager)
	}
	return actorRank >= floor.Rank
}

// GrantCeiling is the ceiling of an actor that holds, in effect, the given
// permissions: CeilingRank of its rank when it holds users.manage or
// invites.manage (the permissions that grant roles), 0 when it holds
// neither, as it grants nothing. GET /v1/me reports it as ceiling_rank.
func GrantCeiling(actorRank int, holds func(perm string) bool) int {
	if !holds(PermUsersManage) && !holds(PermInvitesManage) {
		return 0
	}
	return CeilingRank(actorRank)
}

// CeilingRole is the key of the highest built-in role at or below ceiling, or "".
func CeilingRole(ceiling int) string {
	for _, r := range BuiltinRoles {
		if r.Rank <= ceiling {
			return r.Key
		}
	}
	return ""
}

// ImpliedRead returns the read permission that an edit permission implies:
// "users.manage" implies "users.read", "data.write" implies "data.read".
// It returns "" for a permission that implies nothing.
func ImpliedRead(perm string) string {
	area, verb, ok := strings.Cut(perm, ".")
	if !ok || (verb != "manage" && verb != "write") {
		return ""
	}
	read := area + ".read"
	if slices.Contains(AllPermissions, read) {
		return read
	}
	return ""
}

// CheckPermissions reports the problems of a custom role's permission set:
// unknown permissions, and edit permissions without their read permission.
func CheckPermissions(perms []string) []string {
	var problems []string
	for _, p := range perms {
		if !slices.Contains(AllPermissions, p) {
			problems = append(problems, fmt.Sprintf("unknown permission %q", p))
			continue
		}
		if r := ImpliedRead(p); r != "" && !slices.Contains(perms, r) {
			problems = append(problems, fmt.Sprintf("permission %q requires %q", p, r))
		}
	}
	return problems
}

var (
	e164Re    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	roleKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)
)

// ValidPhone reports whether s is an E.164 number: "+" then 7 to 15 digits.
func ValidPhone(s string) bool { return e164Re.MatchString(s) }

// ValidRoleKey reports whether s can be a role key.
func ValidRoleKey(s string) bool { return roleKeyRe.MatchString(s) }

// ValidEmail reports whether s is one plain address (no display name) with a
// dotted domain, at most 254 characters, and no character CheckText refuses.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.TrimSpace(s) != s || CheckText(s) != nil {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// NormalizeEmail is the one form emails are compared and kept unique in, so
// that every spelling of one mailbox is one login: the whole address in
// Unicode NFC and lower case, and the domain in its ASCII (IDNA, punycode)
// form. "W@Bücher.example", "w@xn--bcher-kva.example" and the decomposed
// "w@bu\u0308cher.example" all become "w@xn--bcher-kva.example". A domain
// IDNA refuses keeps its NFC lower-case form (ValidEmail decides validity,
// not this).
func NormalizeEmail(s string) string {
	s = strings.ToLower(norm.NFC.String(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	local, domain := s[:at], s[at+1:]
	if ascii, err := emailDomain.ToASCII(domain); err == nil {
		domain = strings.ToLower(ascii)
	}
	return local + "@" + domain
}

// emailDomain maps a domain to its ASCII form as a lookup would (UTS #46).
var emailDomain = idna.New(idna.MapForLookup(), idna.Transitional(false))

// CheckText refuses what no name, phone or other text field may hold:
// invalid UTF-8, control characters (NUL, newlines, tabs and the rest of
// Unicode's Cc category) and the bidirectional embedding, override and
// isolate characters (U+202A to U+202E, U+2066 to U+2069), which make text
// display in another order than it is stored.
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("holds the control character %U at byte %d", r, i)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return fmt.Errorf("holds the bidirectional formatting character %U at byte %d", r, i)
		}
	}
	return nil
}
