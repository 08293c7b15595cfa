package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// caseInsensitive plans no change when an email address is the same login
// as state, written another way: in another case, another Unicode form, or
// with its internationalised domain in the other of its two forms (the one
// canonical form is api.NormalizeEmail, as the portal's).
type caseInsensitive struct{}

func (caseInsensitive) Description(context.Context) string {
	return "The same address written another way (letter case, Unicode form, an internationalised domain as Unicode or ASCII) is not a change."
}
func (m caseInsensitive) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (caseInsensitive) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if equalFoldValues(req.StateValue, req.PlanValue) {
		resp.PlanValue = req.StateValue
	}
}

// sameInstant plans no change when an RFC 3339 time names the same instant
// as state, written another way (another offset, say).
type sameInstant struct{}

func (sameInstant) Description(context.Context) string {
	return "The same instant written another way is not a change."
}
func (m sameInstant) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (sameInstant) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	a, errA := time.Parse(time.RFC3339, req.StateValue.ValueString())
	b, errB := time.Parse(time.RFC3339, req.PlanValue.ValueString())
	if errA == nil && errB == nil && a.Equal(b) {
		resp.PlanValue = req.StateValue
	}
}

// equalFoldValues reports whether two emails are the same login: the same
// once in the portal's canonical form.
func equalFoldValues(a, b interface{ ValueString() string }) bool {
	return api.NormalizeEmail(a.ValueString()) == api.NormalizeEmail(b.ValueString())
}
