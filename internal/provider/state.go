package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// stateSetter is the State of a Create, Read or Update response.
type stateSetter interface {
	Set(context.Context, any) diag.Diagnostics
}

// privateSetter and privateGetter are the parts of private state used to
// keep the object's version for If-Match, outside the schema.
type privateSetter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

type privateGetter interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

// saveState writes a model built from an API object (with the diagnostics of
// building it) into state, and the object's version into private state. It
// writes the model even when building it failed: an object that exists must
// stay in state (after a create, as tainted) rather than be lost from it.
func saveState[M any](ctx context.Context, m M, diags diag.Diagnostics, version int64, state stateSetter, private privateSetter) diag.Diagnostics {
	diags.Append(state.Set(ctx, m)...)
	diags.Append(setPrivateVersion(ctx, private, version)...)
	return diags
}

func setPrivateVersion(ctx context.Context, p privateSetter, v int64) diag.Diagnostics {
	if p == nil {
		return nil
	}
	return p.SetKey(ctx, "version", []byte(strconv.FormatInt(v, 10)))
}

// privateVersion is the version read last; 0 (no If-Match) when there is
// none. A version that is not a number (private state damaged outside the
// provider) is also 0, with a warning: the next refresh writes the version
// again, but until then a change is sent without If-Match.
func privateVersion(ctx context.Context, p privateGetter) (int64, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, "version")
	if len(b) == 0 {
		return 0, diags
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		tflog.Warn(ctx, "the object's version in private state is not a number; sending without If-Match", map[string]any{"version": string(b)})
		diags.AddWarning("Object version unreadable",
			fmt.Sprintf("The version Terraform keeps for this object (to refuse overwriting a change made since it was read) is %q, not a number. "+
				"This request is sent without that check, and the version is read again from the portal.", b))
		return 0, diags
	}
	return v, diags
}
