package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
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
// building it) into state, and the object's version into private state.
func saveState[M any](ctx context.Context, m M, diags diag.Diagnostics, version int64, state stateSetter, private privateSetter) diag.Diagnostics {
	if diags.HasError() {
		return diags
	}
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

// privateVersion is the version read last; 0 (no If-Match) when unknown.
func privateVersion(ctx context.Context, p privateGetter) (int64, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, "version")
	if len(b) == 0 {
		return 0, diags
	}
	v, _ := strconv.ParseInt(string(b), 10, 64)
	return v, diags
}

// planPartner fills in a planned partner_id left unknown (not configured)
// with the default partner. It reports false, with an error on partner_id
// naming what, when there is none.
func (d *providerData) planPartner(ctx context.Context, v *types.String, what string, diags *diag.Diagnostics) bool {
	if !v.IsUnknown() {
		return true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		diags.AddAttributeError(path.Root("partner_id"), "No partner for this "+what, err.Error())
		return false
	}
	*v = types.StringValue(pid)
	return true
}

// importPartner is the partner of an import id, the default one when the id
// names none. form is the id's full form, for the error.
func (d *providerData) importPartner(ctx context.Context, partnerID, form string, diags *diag.Diagnostics) (string, bool) {
	if partnerID != "" {
		return partnerID, true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		diags.AddError("No partner for the import", err.Error()+"; or import with \""+form+"\".")
		return "", false
	}
	return pid, true
}
