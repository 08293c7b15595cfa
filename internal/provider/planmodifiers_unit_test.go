package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// planCase is one (state, plan) pair given to a string plan modifier, and
// the plan it must leave.
type planCase struct {
	name               string
	state, plan, wantP types.String
}

// checkStringPlanModifier runs m on each case as the framework does, with
// the response's plan starting as the proposed one, and checks the plan it
// leaves and that it adds no diagnostics and never asks for a replacement.
func checkStringPlanModifier(t *testing.T, m planmodifier.String, cases []planCase) {
	t.Helper()
	ctx := context.Background()
	if m.Description(ctx) == "" || m.MarkdownDescription(ctx) != m.Description(ctx) {
		t.Errorf("Description = %q, MarkdownDescription = %q; want one non-empty description", m.Description(ctx), m.MarkdownDescription(ctx))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := planmodifier.StringRequest{Path: path.Root("email"), StateValue: tc.state, PlanValue: tc.plan, ConfigValue: tc.plan}
			resp := &planmodifier.StringResponse{PlanValue: req.PlanValue}
			m.PlanModifyString(ctx, req, resp)
			if !resp.PlanValue.Equal(tc.wantP) {
				t.Errorf("state %s, plan %s: planned %s, want %s", tc.state, tc.plan, resp.PlanValue, tc.wantP)
			}
			if len(resp.Diagnostics) != 0 || resp.RequiresReplace {
				t.Errorf("diagnostics %v, requires replace %v; want neither", resp.Diagnostics, resp.RequiresReplace)
			}
		})
	}
}

// TestCaseInsensitivePlan: the provider compares emails as the portal does
// (api.NormalizeEmail), so every spelling of one login plans nothing.
func TestCaseInsensitivePlan(t *testing.T) {
	s := types.StringValue
	checkStringPlanModifier(t, caseInsensitive, []planCase{
		{"case only keeps state", s("Ana@Example.com"), s("ana@example.com"), s("Ana@Example.com")},
		{"upper to lower keeps state", s("ana@example.com"), s("ANA@EXAMPLE.COM"), s("ana@example.com")},
		{"non-ASCII case keeps state", s("zoë@example.com"), s("ZOË@example.com"), s("zoë@example.com")},
		{"ASCII form of the domain keeps state", s("w@bücher.example"), s("W@xn--bcher-kva.example"), s("w@bücher.example")},
		{"decomposed form keeps state", s("w@bücher.example"), s("w@bu\u0308cher.example"), s("w@bücher.example")},
		{"Unicode domain to ASCII", s("W@Bücher.example"), s("w@xn--bcher-kva.example"), s("W@Bücher.example")},
		{"ASCII domain to Unicode", s("w@xn--bcher-kva.example"), s("w@bücher.example"), s("w@xn--bcher-kva.example")},
		{"decomposed to composed", s("w@bu\u0308cher.example"), s("w@bücher.example"), s("w@bu\u0308cher.example")},
		{"another domain is a change", s("w@bücher.example"), s("w@bucher.example"), s("w@bucher.example")},
		{"same value", s("ana@example.com"), s("ana@example.com"), s("ana@example.com")},
		{"another address is a change", s("ana@example.com"), s("bea@example.com"), s("bea@example.com")},
		{"a longer address is a change", s("ana@example.com"), s("ana@example.com.au"), s("ana@example.com.au")},
		{"create: no state", types.StringNull(), s("Ana@example.com"), s("Ana@example.com")},
		{"unset", s("ana@example.com"), types.StringNull(), types.StringNull()},
		{"unknown stays unknown", s("ana@example.com"), types.StringUnknown(), types.StringUnknown()},
		{"unknown stays unknown after empty", s(""), types.StringUnknown(), types.StringUnknown()},
	})
}

func TestSameInstantPlan(t *testing.T) {
	s := types.StringValue
	checkStringPlanModifier(t, sameInstant, []planCase{
		{"another offset keeps state", s("2027-01-31T18:00:00Z"), s("2027-01-31T19:00:00+01:00"), s("2027-01-31T18:00:00Z")},
		{"zero fraction keeps state", s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00.000Z"), s("2027-01-31T18:00:00Z")},
		{"+00:00 keeps state", s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00+00:00"), s("2027-01-31T18:00:00Z")},
		{"same text", s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00Z")},
		{"another instant is a change", s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:01Z"), s("2027-01-31T18:00:01Z")},
		{"same clock, other zone is a change", s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00+01:00"), s("2027-01-31T18:00:00+01:00")},
		{"plan not a time", s("2027-01-31T18:00:00Z"), s("tomorrow"), s("tomorrow")},
		{"state not a time", s("soon"), s("2027-01-31T18:00:00Z"), s("2027-01-31T18:00:00Z")},
		{"create: no state", types.StringNull(), s("2027-01-31T19:00:00+01:00"), s("2027-01-31T19:00:00+01:00")},
		{"unset", s("2027-01-31T18:00:00Z"), types.StringNull(), types.StringNull()},
		{"unknown stays unknown", s("2027-01-31T18:00:00Z"), types.StringUnknown(), types.StringUnknown()},
	})
}

func TestEqualFoldValues(t *testing.T) {
	for _, tc := range []struct {
		a, b types.String
		want bool
	}{
		{types.StringValue("Ana@Example.com"), types.StringValue("ana@example.com"), true},
		{types.StringValue("ana@example.com"), types.StringValue("ana@example.org"), false},
		{types.StringValue("ÉMILE@example.com"), types.StringValue("émile@example.com"), true},
		{types.StringValue("w@Bücher.example"), types.StringValue("w@xn--bcher-kva.example"), true},
		{types.StringValue("w@bücher.example"), types.StringValue("w@bucher.example"), false},
		{types.StringValue("José@Bücher.example"), types.StringValue("jose\u0301@xn--bcher-kva.example"), true},
		{types.StringValue(""), types.StringNull(), true}, // both read as ""
		{types.StringValue("a"), types.StringNull(), false},
	} {
		if got := equalFoldValues(tc.a, tc.b); got != tc.want {
			t.Errorf("equalFoldValues(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
