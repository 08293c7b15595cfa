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

// addAPIError turns a client error into one diagnostic: a summary such as
// "Unable to create partner user", and a detail naming the object, the
// server's problem code and message, its field errors and the request id.
// A field the server names that is an attribute of the resource puts the
// diagnostic on that attribute.
func addAPIError(diags *diag.Diagnostics, summary, object string, err error) {
	detail, field := describeError(object, err)
	if field != "" {
		diags.AddAttributeError(path.Root(field), summary, detail)
		return
	}
	diags.AddError(summary, detail)
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
		fmt.Fprintf(&b, "\n  - %s: %s", fe.Field, fe.Message)
		if field == "" {
			field, _, _ = strings.Cut(fe.Field, "[")
			if !userAttribute(field) {
				field = ""
			}
		}
	}
	if apiErr.RequestID != "" {
		fmt.Fprintf(&b, "\n(request id %s)", apiErr.RequestID)
	}
	return b.String(), field
}

// userAttribute reports whether a server field name is also an attribute
// name of this provider's resources.
func userAttribute(field string) bool {
	switch field {
	case "email", "first_name", "last_name", "phone", "roles", "access_expires_at", "role", "user_id", "rank", "permissions", "key", "name":
		return true
	}
	return false
}
