package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

type privateBytes []byte

func (p privateBytes) GetKey(context.Context, string) ([]byte, diag.Diagnostics) { return p, nil }

// TestPrivateVersion: a version that is not a number is no version (no
// If-Match), said in a warning rather than dropped without a word.
func TestPrivateVersion(t *testing.T) {
	for _, c := range []struct {
		private  string
		want     int64
		warnings int
	}{
		{"", 0, 0},
		{"7", 7, 0},
		{"7x", 0, 1},
	} {
		v, diags := privateVersion(t.Context(), privateBytes(c.private))
		if v != c.want || diags.HasError() || diags.WarningsCount() != c.warnings {
			t.Errorf("privateVersion(%q) = %d, %v; want %d with %d warnings", c.private, v, diags, c.want, c.warnings)
		}
		if c.warnings > 0 && !strings.Contains(diags[0].Detail(), `"7x"`) {
			t.Errorf("the warning does not name the value: %s", diags[0].Detail())
		}
	}
}
