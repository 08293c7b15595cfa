package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// caseInsensitive plans no change when a string differs from state only in case.
type caseInsensitive struct{}

func (caseInsensitive) Description(context.Context) string {
	return "A change of case alone is not a change."
}
func (m caseInsensitive) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (caseInsensitive) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString()) {
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

func equalFoldValues(a, b interface{ ValueString() string }) bool {
	return strings.EqualFold(a.ValueString(), b.ValueString())
}
