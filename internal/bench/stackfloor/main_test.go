package main

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestKnownFillsEveryUnknown: the state the stack floor returns after a
// create has no unknown left (Terraform refuses one) and keeps what was
// planned, so its applies and plans cost what the real resource's do.
func TestKnownFillsEveryUnknown(t *testing.T) {
	s, err := userSchema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	obj, ok := s.Schema.Type().TerraformType(t.Context()).(tftypes.Object)
	if !ok {
		t.Fatal("the schema's type is not an object")
	}
	planned := map[string]tftypes.Value{}
	for name, typ := range obj.AttributeTypes {
		planned[name] = tftypes.NewValue(typ, tftypes.UnknownValue)
	}
	planned["email"] = tftypes.NewValue(tftypes.String, "ann@example.com")
	planned["roles"] = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "member")})
	planned["access_expires_at"] = tftypes.NewValue(tftypes.String, nil)

	var diags diag.Diagnostics
	r := &userResource{schema: s}
	first := r.known(tftypes.NewValue(obj, planned), &diags)
	second := r.known(tftypes.NewValue(obj, planned), &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if !first.IsFullyKnown() {
		t.Fatalf("unknowns left: %v", first)
	}
	var got map[string]tftypes.Value
	if err := first.As(&got); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"email", "roles", "access_expires_at"} {
		if !got[name].Equal(planned[name]) {
			t.Errorf("%s = %v, want the planned %v", name, got[name], planned[name])
		}
	}
	var again map[string]tftypes.Value
	if err := second.As(&again); err != nil {
		t.Fatal(err)
	}
	if got["id"].Equal(again["id"]) {
		t.Errorf("two creates got the same id %v", got["id"])
	}
}
