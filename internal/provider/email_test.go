package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestEmailSpellingsAreOneLogin: the provider compares emails as the portal
// does (api.NormalizeEmail), so every spelling of one login plans nothing.
func TestEmailSpellingsAreOneLogin(t *testing.T) {
	s := types.StringValue
	checkStringPlanModifier(t, caseInsensitive{}, []planCase{
		{"Unicode domain to ASCII", s("W@Bücher.example"), s("w@xn--bcher-kva.example"), s("W@Bücher.example")},
		{"ASCII domain to Unicode", s("w@xn--bcher-kva.example"), s("w@bücher.example"), s("w@xn--bcher-kva.example")},
		{"decomposed to composed", s("w@bu\u0308cher.example"), s("w@bücher.example"), s("w@bu\u0308cher.example")},
		{"another domain is a change", s("w@bücher.example"), s("w@bucher.example"), s("w@bucher.example")},
	})
	if !equalFoldValues(s("José@Bücher.example"), s("jose\u0301@xn--bcher-kva.example")) {
		t.Error("equalFoldValues tells two spellings of one login apart")
	}
}
