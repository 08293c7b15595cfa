package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
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

type recordedState struct{ saved any }

func (s *recordedState) Set(_ context.Context, v any) diag.Diagnostics { s.saved = v; return nil }

// TestSaveStateKeepsTheObject: when building the model from what the server
// answered went wrong, the object (which exists) is still written to state,
// with the error, so that a create never loses what it created.
func TestSaveStateKeepsTheObject(t *testing.T) {
	var building diag.Diagnostics
	building.AddError("Unable to read the roles", "test")
	var state recordedState
	m := userModel{ID: types.StringValue("usr_1")}
	diags := saveState(t.Context(), m, building, 3, &state, nil)
	if !diags.HasError() {
		t.Error("the error of building the model was dropped")
	}
	if saved, ok := state.saved.(userModel); !ok || saved.ID.ValueString() != "usr_1" {
		t.Errorf("state holds %v, want the user usr_1", state.saved)
	}
}
