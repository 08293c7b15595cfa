package provider

import (
	"context"
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// modelCodec reads a model from the object Terraform sent and writes it
// back, as tfsdk's Get and Set do for a flat model of framework values, for
// the resource planned and refreshed once per user in a bulk run.
//
// The framework's Get and Set look up the struct's tags on every call and
// compile a regular expression for each field as they go (v1.19.0,
// internal/reflect.isValidFieldName): in a CPU profile of an apply of 1,000
// users that was 8% of the provider's time, and setting one attribute by
// path cost as much again. The codec resolves the fields once; the test
// checks that it reads and writes exactly what Get and Set do.
type modelCodec[M any] struct {
	object tftypes.Object
	fields []codecField
}

type codecField struct {
	index int       // in the model struct
	name  string    // attribute name, from the field's tfsdk tag
	typ   attr.Type // the schema's type of the attribute
}

// newModelCodec resolves M's fields against s. It panics when they don't
// match, a programming error the tests catch.
func newModelCodec[M any](s schema.Schema) *modelCodec[M] {
	ctx := context.Background()
	t := reflect.TypeFor[M]()
	object, ok := s.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		panic(fmt.Sprintf("%s: the schema's type is not an object", t.Name()))
	}
	c := &modelCodec[M]{object: object}
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("tfsdk")
		a, ok := s.Attributes[name]
		if !ok {
			panic(fmt.Sprintf("%s.%s: no attribute %q in the schema", t.Name(), t.Field(i).Name, name))
		}
		if vt := reflect.TypeOf(a.GetType().ValueType(ctx)); vt != t.Field(i).Type {
			panic(fmt.Sprintf("%s.%s is a %s, the schema's attribute %q a %s", t.Name(), t.Field(i).Name, t.Field(i).Type, name, vt))
		}
		c.fields = append(c.fields, codecField{index: i, name: name, typ: a.GetType()})
	}
	if len(c.fields) != len(s.Attributes) {
		panic(fmt.Sprintf("%s has %d fields for %d attributes", t.Name(), len(c.fields), len(s.Attributes)))
	}
	return c
}

// decode reads an object of the codec's type, known and not null, into a model.
func (c *modelCodec[M]) decode(ctx context.Context, raw tftypes.Value) (M, diag.Diagnostics) {
	var m M
	var diags diag.Diagnostics
	if raw.IsNull() || !raw.IsKnown() || !raw.Type().Equal(c.object) {
		diags.AddError("Unable to read the object", fmt.Sprintf("got %v, want a known %v", raw, c.object))
		return m, diags
	}
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		diags.AddError("Unable to read the object", err.Error())
		return m, diags
	}
	rv := reflect.ValueOf(&m).Elem()
	for _, f := range c.fields {
		v, err := f.typ.ValueFromTerraform(ctx, attrs[f.name])
		if err != nil {
			diags.AddError("Unable to read the object", f.name+": "+err.Error())
			return m, diags
		}
		rv.Field(f.index).Set(reflect.ValueOf(v))
	}
	return m, diags
}

// get is decode in the shape of tfsdk's Get.
func (c *modelCodec[M]) get(ctx context.Context, raw tftypes.Value, m *M) diag.Diagnostics {
	v, diags := c.decode(ctx, raw)
	if !diags.HasError() {
		*m = v
	}
	return diags
}

// encode writes a model as an object.
func (c *modelCodec[M]) encode(ctx context.Context, m M) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	attrs := make(map[string]tftypes.Value, len(c.fields))
	rv := reflect.ValueOf(m)
	for _, f := range c.fields {
		v, ok := rv.Field(f.index).Interface().(attr.Value)
		if !ok { // newModelCodec checked each field's type against the schema
			diags.AddError("Unable to write the object", f.name+": not a framework value")
			return tftypes.Value{}, diags
		}
		var tv tftypes.Value
		switch {
		case v.IsNull():
			tv = tftypes.NewValue(f.typ.TerraformType(ctx), nil)
		case v.IsUnknown():
			tv = tftypes.NewValue(f.typ.TerraformType(ctx), tftypes.UnknownValue)
		default:
			var err error
			if tv, err = v.ToTerraformValue(ctx); err != nil {
				diags.AddError("Unable to write the object", f.name+": "+err.Error())
				return tftypes.Value{}, diags
			}
		}
		attrs[f.name] = tv
	}
	if err := tftypes.ValidateValue(c.object, attrs); err != nil {
		diags.AddError("Unable to write the object", err.Error())
		return tftypes.Value{}, diags
	}
	return tftypes.NewValue(c.object, attrs), diags
}

// into returns a stateSetter that encodes a model into *raw (the Raw of a
// tfsdk.State or tfsdk.Plan).
func (c *modelCodec[M]) into(raw *tftypes.Value) stateSetter { return codecSetter[M]{c, raw} }

type codecSetter[M any] struct {
	c   *modelCodec[M]
	raw *tftypes.Value
}

func (s codecSetter[M]) Set(ctx context.Context, v any) diag.Diagnostics {
	m, ok := v.(M)
	if !ok {
		var diags diag.Diagnostics
		diags.AddError("Unable to write the object", fmt.Sprintf("got a %T, want a %T", v, m))
		return diags
	}
	raw, diags := s.c.encode(ctx, m)
	if !diags.HasError() {
		*s.raw = raw
	}
	return diags
}
