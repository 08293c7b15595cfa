package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// identity is a resource type's identity (Terraform 1.12+, OpenTofu 1.12+):
// partner_id and what names the object within its partner, each an
// attribute of the resource's state of the same name. Terraform keeps it
// beside the state, imports by it (`import { identity = { ... } }`), and
// the framework refuses a response whose identity differs from the one
// stored: these attributes never change while the object lives (a new
// partner_id, key, user or role replaces it).
//
// The identity is written as a raw value from the state's, without the
// framework's reflection: portal_partner_user is read once per user in a
// bulk run (see modelCodec).
type identity struct {
	attrs []identityAttr // partner_id first
	typ   tftypes.Object
}

type identityAttr struct {
	name, description string
	optional          bool // may be left out of an import block
}

// partnerIdentity is partner_id in the identity of an object within a
// partner: the partner as resolved, also when the configuration leaves it
// to the provider's default.
var partnerIdentity = identityAttr{"partner_id", "The partner's id, such as `prt_0123abcd`. Optional in an import block: the provider's `partner_id`, " +
	"then the partner of the API token, as for `partner_id` in the configuration.", true}

// newIdentity is the identity of attrs, partner_id first.
func newIdentity(attrs ...identityAttr) identity {
	id := identity{attrs: attrs, typ: tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}}
	for _, a := range id.attrs {
		id.typ.AttributeTypes[a.name] = tftypes.String
	}
	return id
}

// schema is the identity schema.
func (id identity) schema(resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{Attributes: map[string]identityschema.Attribute{}}
	for _, a := range id.attrs {
		resp.IdentitySchema.Attributes[a.name] = identityschema.StringAttribute{RequiredForImport: !a.optional, OptionalForImport: a.optional, Description: a.description}
	}
}

// set writes the identity of the object in state (a value of the
// resource's schema) into dst, the Identity of a Create, Read, Update or
// ImportState response. It writes nothing for no object (a failed create,
// a resource removed from state), which Terraform keeps no identity for.
func (id identity) set(dst *tfsdk.ResourceIdentity, state tftypes.Value) diag.Diagnostics {
	var attrs map[string]tftypes.Value
	if dst == nil || state.IsNull() || !state.IsKnown() {
		return nil
	}
	if err := state.As(&attrs); err != nil {
		return diag.Diagnostics{diag.NewErrorDiagnostic("Unable to write the resource identity", err.Error()+"; this is a bug in the provider")}
	}
	values := make(map[string]tftypes.Value, len(id.attrs))
	for _, a := range id.attrs {
		v, ok := attrs[a.name]
		if !ok || !v.Type().Is(tftypes.String) {
			return diag.Diagnostics{diag.NewErrorDiagnostic("Unable to write the resource identity",
				fmt.Sprintf("the state has no string attribute %q; this is a bug in the provider", a.name))}
		}
		values[a.name] = v
	}
	dst.Raw = tftypes.NewValue(id.typ, values)
	return nil
}

// of builds an identity value from values, given in the order of attrs
// (partner_id first), for a list result.
func (id identity) of(dst *tfsdk.ResourceIdentity, values ...string) {
	m := make(map[string]tftypes.Value, len(id.attrs))
	for i, a := range id.attrs {
		m[a.name] = tftypes.NewValue(tftypes.String, values[i])
	}
	dst.Raw = tftypes.NewValue(id.typ, m)
}

// imported is what an import names: from the id string when there is one
// (importing with `terraform import` or an import block's id), parsed with
// parse; else from the import block's identity, in the order of attrs
// (partner_id first, "" when left out, for the default partner).
func (id identity) imported(req resource.ImportStateRequest, parse func(string) ([]string, error)) ([]string, diag.Diagnostics) {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		values, err := parse(req.ID)
		if err != nil {
			return nil, diag.Diagnostics{diag.NewErrorDiagnostic("Invalid import id", err.Error())}
		}
		return values, nil
	}
	var attrs map[string]tftypes.Value
	if err := req.Identity.Raw.As(&attrs); err != nil {
		return nil, diag.Diagnostics{diag.NewErrorDiagnostic("Invalid import identity", err.Error())}
	}
	values := make([]string, len(id.attrs))
	var diags diag.Diagnostics
	for i, a := range id.attrs {
		v := attrs[a.name]
		if !v.IsKnown() {
			diags.AddError("Invalid import identity", fmt.Sprintf("The import block's identity sets %s from a value known only after apply.", a.name))
		} else if err := v.As(&values[i]); err != nil {
			diags.AddError("Invalid import identity", fmt.Sprintf("%s: %v", a.name, err))
		}
		values[i] = strings.TrimSpace(values[i])
		if !a.optional && values[i] == "" {
			diags.AddError("Invalid import identity", fmt.Sprintf("The import block's identity must set %s (%s).", a.name, strings.TrimSuffix(a.description, ".")))
		}
	}
	return values, diags
}
