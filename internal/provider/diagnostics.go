package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// addAPIError turns a client error into one diagnostic and reports whether
// there was one, for `if addAPIError(...) { return }`; a nil err adds
// nothing. The diagnostic has a summary such as "Unable to create partner
// user", and a detail naming the object, the server's problem code and
// message, its field errors and the request id, then any hint. A field the
// server names that is an attribute of the resource puts the diagnostic on
// that attribute; otherwise it goes on the defaultAttribute, if any.
func addAPIError(diags *diag.Diagnostics, summary, object string, err error, opts ...errorOption) bool {
	if err == nil {
		return false
	}
	var o errorOptions
	for _, opt := range opts {
		opt(&o)
	}
	detail, field := describeError(object, err)
	for _, h := range o.hints {
		detail += "\n\n" + h
	}
	switch {
	case field != "":
		diags.AddAttributeError(path.Root(field), summary, detail)
	case o.at != nil:
		diags.AddAttributeError(*o.at, summary, detail)
	default:
		diags.AddError(summary, detail)
	}
	return true
}

type errorOptions struct {
	at    *path.Path
	hints []string
}

// errorOption adds to what addAPIError says.
type errorOption func(*errorOptions)

// defaultAttribute puts the diagnostic on the attribute at p when the server
// names no field that is an attribute.
func defaultAttribute(p path.Path) errorOption { return func(o *errorOptions) { o.at = &p } }

// withHint ends the detail with what to do about the error; "" adds nothing.
func withHint(hint string) errorOption {
	return func(o *errorOptions) {
		if hint != "" {
			o.hints = append(o.hints, hint)
		}
	}
}

func describeError(object string, err error) (detail, field string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", object)
	apiErr, ok := client.AsAPIError(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		fmt.Fprintf(&b, "the request was cut short (%v). Nothing is lost: run the plan again to see what the portal holds.", err)
		return b.String(), ""
	case !ok:
		fmt.Fprintf(&b, "%v", err)
		return b.String(), ""
	}
	fmt.Fprintf(&b, "the portal answered %d", apiErr.StatusCode)
	if apiErr.Code != "" {
		fmt.Fprintf(&b, " %s", apiErr.Code)
	}
	if apiErr.Detail != "" {
		fmt.Fprintf(&b, ": %s", apiErr.Detail)
	}
	for _, fe := range apiErr.FieldErrors {
		// The detail of a validation problem already lists its fields
		// ("field: message"), as a conflict's states its one field's message.
		if line := fe.Field + ": " + fe.Message; !strings.Contains(apiErr.Detail, line) && fe.Message != apiErr.Detail {
			fmt.Fprintf(&b, "\n  - %s", line)
		}
		if field == "" {
			name, _, _ := strings.Cut(fe.Field, "[")
			field = attributeOf(name)
		}
	}
	if apiErr.RequestID != "" {
		fmt.Fprintf(&b, "\n(request id %s)", apiErr.RequestID)
	}
	return b.String(), field
}

// attributeOf is the attribute of this provider's resources that a server
// field is, or "".
func attributeOf(field string) string {
	switch field {
	case "email", "first_name", "last_name", "phone", "roles", "access_expires_at", "role", "user_id", "rank", "permissions", "key", "name", "description":
		return field
	case "lifetime_seconds":
		return "lifetime"
	case "access_duration_seconds":
		return "access_duration"
	}
	return ""
}

// changedSinceRead is the hint of a 412: the object (a "user", a "role")
// changed after Terraform read it.
func changedSinceRead(object string) string {
	return "Someone changed this " + object + " in the portal (or another apply did) after Terraform read it, so this update was refused " +
		"rather than overwrite their change. Run terraform plan again to see the " + object + " as it is now."
}
