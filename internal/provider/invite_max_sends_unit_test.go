package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// An expired invite sent max_sends times is left expired with a warning;
// changing resend_triggers sends it anyway, and then nothing warns that it
// is left expired.
func TestInviteMaxSendsPlan(t *testing.T) {
	triggers := func(v string) types.Map {
		return types.MapValueMust(types.StringType, map[string]attr.Value{"round": types.StringValue(v)})
	}
	state := inviteModel{ID: types.StringValue("inv_1"), Email: types.StringValue("ana@acme.test"), Status: types.StringValue(api.InviteExpired),
		ExpiresAt: types.StringValue("2026-12-01T00:00:00Z"), SendCount: types.Int64Value(3), ResendTriggers: triggers("1")}
	for _, tc := range []struct {
		name     string
		triggers types.Map
		resend   bool
	}{
		{"limit reached", triggers("1"), false},
		{"triggers changed", triggers("2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := inviteModel{OnExpiry: types.StringValue(onExpiryReinvite), MaxSends: types.Int64Value(3), ResendTriggers: tc.triggers}
			var diags diag.Diagnostics
			(&inviteResource{}).planExisting(&plan, state, &diags)
			if resent := plan.SendCount.IsUnknown(); resent != tc.resend {
				t.Fatalf("resend planned: %v, want %v", resent, tc.resend)
			}
			if warned := diags.WarningsCount() == 1 && diags.Warnings()[0].Summary() == "Invitation not sent again"; warned == tc.resend {
				t.Fatalf("warning %q: %v (diags %v), want it only when the invite is left expired", "Invitation not sent again", warned, diags)
			}
		})
	}
}
