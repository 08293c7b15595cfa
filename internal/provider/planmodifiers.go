package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// sameWrittenOtherwise plans no change when the planned string is the one
// in state written another way, as same tells.
type sameWrittenOtherwise struct {
	description string
	same        func(state, plan string) bool
}

func (m sameWrittenOtherwise) Description(context.Context) string { return m.description }

func (m sameWrittenOtherwise) MarkdownDescription(context.Context) string { return m.description }

func (m sameWrittenOtherwise) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if m.same(req.StateValue.ValueString(), req.PlanValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}

// caseInsensitive plans no change when an email address is the same login
// as state, written another way: in another case, another Unicode form, or
// with its internationalised domain in the other of its two forms (the one
// canonical form is api.NormalizeEmail, as the portal's).
var caseInsensitive = sameWrittenOtherwise{
	description: "The same address written another way (letter case, Unicode form, an internationalised domain as Unicode or ASCII) is not a change.",
	same:        func(a, b string) bool { return api.NormalizeEmail(a) == api.NormalizeEmail(b) },
}

// sameInstant plans no change when an RFC 3339 time names the same instant
// as state, written another way (another offset, say).
var sameInstant = sameWrittenOtherwise{
	description: "The same instant written another way is not a change.",
	same: func(a, b string) bool {
		ta, errA := time.Parse(time.RFC3339, a)
		tb, errB := time.Parse(time.RFC3339, b)
		return errA == nil && errB == nil && ta.Equal(tb)
	},
}

// equalFoldValues reports whether two emails are the same login: the same
// once in the portal's canonical form.
func equalFoldValues(a, b interface{ ValueString() string }) bool {
	return api.NormalizeEmail(a.ValueString()) == api.NormalizeEmail(b.ValueString())
}
