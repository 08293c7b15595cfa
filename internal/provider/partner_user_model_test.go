package provider

import (
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestSameUserComparesEveryAttribute: Read keeps the state it was given
// when sameUser says nothing changed, so an attribute sameUser forgot would
// never be refreshed.
func TestSameUserComparesEveryAttribute(t *testing.T) {
	base := userModel{}
	other := reflect.ValueOf(&base).Elem()
	for i := range other.NumField() {
		var v attr.Value
		switch other.Field(i).Interface().(type) {
		case types.String:
			v = types.StringValue("a")
		case types.Bool:
			v = types.BoolValue(true)
		case types.Set:
			v = types.SetValueMust(types.StringType, []attr.Value{types.StringValue("member")})
		default:
			t.Fatalf("userModel.%s has a type this test does not know", other.Type().Field(i).Name)
		}
		other.Field(i).Set(reflect.ValueOf(v))
	}
	for i := range other.NumField() {
		changed := base
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Interface().(type) {
		case types.String:
			f.Set(reflect.ValueOf(types.StringValue("b")))
		case types.Bool:
			f.Set(reflect.ValueOf(types.BoolValue(false)))
		case types.Set:
			f.Set(reflect.ValueOf(types.SetValueMust(types.StringType, []attr.Value{types.StringValue("admin")})))
		}
		if sameUser(base, changed) {
			t.Errorf("sameUser ignores a change of %s", other.Type().Field(i).Name)
		}
	}
	if !sameUser(base, base) {
		t.Error("sameUser(m, m) = false")
	}
}

// TestNoteRawRoles: the no-op plan's shortcut still records that the user's
// roles are managed here (set in the configuration), so portal_role_assignment can warn.
func TestNoteRawRoles(t *testing.T) {
	ctx := t.Context()
	r := &userResource{resourceBase: resourceBase{data: &providerData{owners: map[string]*roleOwnership{}}}}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	plan := func(id string, roles types.Set) tftypes.Value {
		p := tfsdk.Plan{Schema: sr.Schema}
		m := userModel{ID: types.StringValue(id), Email: types.StringValue(id + "@example.com"), Roles: roles, Permissions: types.SetNull(types.StringType)}
		if d := p.Set(ctx, m); d.HasError() {
			t.Fatal(d)
		}
		return p.Raw
	}
	var diags diag.Diagnostics
	// The plan holds the user's roles either way; the configuration says whether they are managed.
	held := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("member")})
	r.noteRawRoles(plan("usr_unmanaged", held), plan("usr_unmanaged", types.SetNull(types.StringType)), &diags)
	r.noteRawRoles(plan("usr_managed", held), plan("usr_managed", held), &diags)
	if _, noted := r.data.owners["usr_unmanaged"]; noted {
		t.Error("a user whose configuration leaves roles out was noted as managed")
	}
	if o := r.data.owners["usr_managed"]; o == nil || !o.authoritative {
		t.Error("a user whose roles are set was not noted as managed")
	}
	r.data.noteAssignment("usr_managed", "admin", path.Root("role"), &diags)
	if diags.WarningsCount() != 1 {
		t.Errorf("got %v, want one warning", diags)
	}
}
