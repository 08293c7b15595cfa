package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestUserCodecMatchesTheFramework: userCodec reads and writes exactly
// what tfsdk's Get and Set do, for models with values, nulls and unknowns.
func TestUserCodecMatchesTheFramework(t *testing.T) {
	ctx := t.Context()
	roles := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("member"), types.StringValue("admin")})
	full := userModel{
		ID: types.StringValue("usr_1"), PartnerID: types.StringValue("prt_1"), Email: types.StringValue("Ann@Example.com"),
		FirstName: types.StringValue("Ann"), LastName: types.StringValue(""), Phone: types.StringValue("+14155550100"),
		Roles: roles, Permissions: types.SetValueMust(types.StringType, []attr.Value{types.StringValue("data.read")}),
		AccessExpiresAt: types.StringValue("2026-12-01T00:00:00+02:00"), RestoreIfDeleted: types.BoolValue(true),
		Status: types.StringValue("active"), CreatedAt: types.StringValue("2026-11-22T10:00:00Z"), LastActivityAt: types.StringNull(),
	}
	planned := full
	planned.ID, planned.Status, planned.Roles = types.StringUnknown(), types.StringUnknown(), types.SetUnknown(types.StringType)
	noRoles := full
	noRoles.Roles = types.SetValueMust(types.StringType, nil)
	nullRoles := full
	nullRoles.Roles = types.SetNull(types.StringType)
	planned.Permissions = types.SetUnknown(types.StringType)
	empty := userModel{Roles: types.SetNull(types.StringType), Permissions: types.SetNull(types.StringType)}

	sch := userCodec().object
	for name, m := range map[string]userModel{"full": full, "planned": planned, "no roles": noRoles, "null roles": nullRoles, "all null": empty} {
		t.Run(name, func(t *testing.T) {
			want := tfsdk.Plan{Schema: userSchema(t)}
			if d := want.Set(ctx, m); d.HasError() {
				t.Fatal(d)
			}
			got, d := userCodec().encode(ctx, m)
			if d.HasError() {
				t.Fatal(d)
			}
			if !got.Equal(want.Raw) || !got.Type().Equal(sch) {
				t.Fatalf("encode = %v\nSet     = %v", got, want.Raw)
			}
			var viaGet userModel
			if d := want.Get(ctx, &viaGet); d.HasError() {
				t.Fatal(d)
			}
			decoded, d := userCodec().decode(ctx, got)
			if d.HasError() {
				t.Fatal(d)
			}
			if !sameUser(decoded, viaGet) || !sameUser(decoded, m) {
				t.Fatalf("decode = %+v\nGet    = %+v", decoded, viaGet)
			}
		})
	}
}

func userSchema(t *testing.T) schema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	(&userResource{}).Schema(t.Context(), resource.SchemaRequest{}, &resp)
	return resp.Schema
}

func TestNewModelCodecRefusesAMismatch(t *testing.T) {
	s := schema.Schema{Attributes: map[string]schema.Attribute{
		"name":  schema.StringAttribute{Required: true},
		"count": schema.Int64Attribute{Optional: true},
	}}
	type missing struct {
		Name types.String `tfsdk:"name"`
	}
	type wrongType struct {
		Name  types.String `tfsdk:"name"`
		Count types.String `tfsdk:"count"`
	}
	type unknownAttr struct {
		Name  types.String `tfsdk:"name"`
		Count types.Int64  `tfsdk:"count"`
		Extra types.String `tfsdk:"extra"`
	}
	type good struct {
		Name  types.String `tfsdk:"name"`
		Count types.Int64  `tfsdk:"count"`
	}
	for name, build := range map[string]func(){
		"a field fewer":  func() { newModelCodec[missing](s) },
		"a wrong type":   func() { newModelCodec[wrongType](s) },
		"an extra field": func() { newModelCodec[unknownAttr](s) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, "attribute") {
					t.Fatalf("recovered %q, want a panic naming the mismatch", r)
				}
			}()
			build()
		})
	}
	c := newModelCodec[good](s)
	raw, d := c.encode(t.Context(), good{Name: types.StringValue("a"), Count: types.Int64Value(2)})
	if d.HasError() {
		t.Fatal(d)
	}
	var back good
	if d := c.get(t.Context(), raw, &back); d.HasError() || back.Name.ValueString() != "a" || back.Count.ValueInt64() != 2 {
		t.Fatalf("round trip = %+v, %v", back, d)
	}
	for name, v := range map[string]tftypes.Value{
		"null":     tftypes.NewValue(c.object, nil),
		"unknown":  tftypes.NewValue(c.object, tftypes.UnknownValue),
		"zero":     {},
		"a string": tftypes.NewValue(tftypes.String, "a"),
	} {
		if _, d := c.decode(t.Context(), v); !d.HasError() {
			t.Errorf("decode of a %s value succeeded", name)
		}
	}
	if d := c.into(&raw).Set(t.Context(), "not a model"); !d.HasError() {
		t.Fatal("Set accepted a value of another type")
	}
}

// BenchmarkUserModel compares reading and writing a planned user through
// the framework's tfsdk Get and Set with userCodec: each runs once or twice
// per user in every plan and apply.
func BenchmarkUserModel(b *testing.B) {
	ctx := b.Context()
	m := userModel{
		ID: types.StringValue("usr_1"), PartnerID: types.StringValue("prt_1"), Email: types.StringValue("ann@example.com"),
		FirstName: types.StringValue("Ann"), LastName: types.StringValue("Lee"), Phone: types.StringValue("+14155550100"),
		Roles: types.SetValueMust(types.StringType, []attr.Value{types.StringValue("member")}), AccessExpiresAt: types.StringNull(),
		RestoreIfDeleted: types.BoolValue(false), Status: types.StringValue("active"),
		CreatedAt: types.StringValue("2026-11-22T10:00:00Z"), LastActivityAt: types.StringNull(),
	}
	var resp resource.SchemaResponse
	(&userResource{}).Schema(ctx, resource.SchemaRequest{}, &resp)
	plan := tfsdk.Plan{Schema: resp.Schema}
	if d := plan.Set(ctx, m); d.HasError() {
		b.Fatal(d)
	}
	// Each reads the planned object into a model and writes the model back.
	roundTrips := map[string]func(*userModel) diag.Diagnostics{
		"framework": func(got *userModel) diag.Diagnostics {
			diags := plan.Get(ctx, got)
			out := tfsdk.State{Schema: resp.Schema}
			return append(diags, out.Set(ctx, *got)...)
		},
		"codec": func(got *userModel) diag.Diagnostics {
			diags := userCodec().get(ctx, plan.Raw, got)
			var out tftypes.Value
			return append(diags, userCodec().into(&out).Set(ctx, *got)...)
		},
	}
	for _, name := range []string{"framework", "codec"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var got userModel
				if d := roundTrips[name](&got); d.HasError() {
					b.Fatal(d)
				}
			}
		})
	}
}
