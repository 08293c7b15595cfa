package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// stringCheck is a string validator from a description and a check that
// returns the problem with a value, or "".
type stringCheck struct {
	desc  string
	check func(string) string
}

func (v stringCheck) Description(context.Context) string         { return v.desc }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.desc }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := v.check(req.ConfigValue.ValueString()); msg != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.desc, msg)
	}
}

func validEmail() validator.String {
	return stringCheck{"email address", func(s string) string {
		if api.ValidEmail(s) {
			return ""
		}
		msg := fmt.Sprintf("%q is not a valid email address: one plain address such as ana@example.com, without a display name or spaces.", s)
		if err := api.CheckText(s); err != nil {
			msg += " It " + err.Error() + "."
		}
		return msg
	}}
}

func validPhone() validator.String {
	return stringCheck{"E.164 phone number", func(s string) string {
		if s == "" || api.ValidPhone(s) {
			return ""
		}
		return fmt.Sprintf("%q is not an E.164 phone number: a + then the country code and number, 7 to 15 digits, no spaces, such as +14155550123.", s)
	}}
}

// validObjectID checks the shape of an object's id (what, such as
// "invite"; example, such as "inv_0123abcd"), which the contract leaves
// opaque: one path segment of printable characters, and not an email
// address or a PARTNER_ID/ID pair, which people give where an id belongs.
func validObjectID(what, example string) validator.String {
	return stringCheck{what + " id", func(s string) string {
		switch {
		case s == "":
			return fmt.Sprintf("The %s id is empty; give the %s's id, such as %s.", what, what, example)
		case strings.Contains(s, "@"):
			return fmt.Sprintf("%q is an email address, not the %s's id (such as %s): read the id from the %s's resource or data source.", s, what, example, what)
		case strings.Contains(s, "/"):
			return fmt.Sprintf("%q is not the %s's id (such as %s): give the id alone, and the partner in partner_id.", s, what, example)
		case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
			return fmt.Sprintf("%q is not the %s's id (such as %s): an id holds no spaces or control characters.", s, what, example)
		}
		return ""
	}}
}

func validRoleKey() validator.String {
	return stringCheck{"role key", func(s string) string {
		if api.ValidRoleKey(s) {
			return ""
		}
		return fmt.Sprintf("%q is not a role key: 2 to 32 lower-case letters, digits or underscores, starting with a letter, such as member or read_only.", s)
	}}
}

// validRFC3339 takes an RFC 3339 time to the microsecond at the finest, as
// the portal keeps times: a finer one would come back as another instant.
func validRFC3339() validator.String {
	return stringCheck{"RFC 3339 time", func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil:
			return fmt.Sprintf("%q is not an RFC 3339 time such as 2027-01-31T18:00:00Z.", s)
		case t.Nanosecond()%int(time.Microsecond) != 0:
			return fmt.Sprintf("%q is finer than a microsecond, and the portal keeps times to the microsecond: "+
				"write at most six digits after the seconds, such as 2027-01-31T18:00:00.123456Z.", s)
		}
		return ""
	}}
}

// durationBetween takes a duration from lo to hi in whole seconds, as the
// portal keeps durations.
func durationBetween(lo, hi time.Duration) validator.String {
	desc := fmt.Sprintf("duration from %s to %s", lo, hi)
	return stringCheck{desc, func(s string) string {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil || d < lo || d > hi:
			return fmt.Sprintf("%q is not a %s, written like 72h or 90m (hours are the largest unit).", s, desc)
		case d%time.Second != 0:
			return fmt.Sprintf("%q has a fraction of a second, and the portal keeps durations in whole seconds: write it without one, such as 90m or 1h30m15s.", s)
		}
		return ""
	}}
}

// notBuiltinRole refuses the key of a built-in role for a custom role.
func notBuiltinRole() validator.String {
	return stringCheck{"custom role key", func(s string) string {
		if _, builtin := api.Builtin(s); !builtin {
			return ""
		}
		return fmt.Sprintf("%q is the key of a built-in role (owner, admin, manager, member, read_only), which cannot be defined again: "+
			"give the custom role a key of its own, such as billing.", s)
	}}
}

// validText refuses what no name or description may hold (api.CheckText):
// invalid UTF-8, control characters such as newlines and tabs, and the
// bidirectional formatting characters that make text display in another
// order than it is stored.
func validText() validator.String {
	return stringCheck{"text", func(s string) string {
		if err := api.CheckText(s); err != nil {
			return fmt.Sprintf("%q %s. Names and descriptions may not hold control characters (such as newlines and tabs) or "+
				"bidirectional formatting characters, which make text display in another order than it is stored.", s, err)
		}
		return ""
	}}
}
