package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// identityOf is an import request's identity of assignmentIdentity's type
// with the given values; a missing key is null.
func identityOf(values map[string]string) *tfsdk.ResourceIdentity {
	attrs := map[string]tftypes.Value{}
	for _, a := range assignmentIdentity.attrs {
		attrs[a.name] = tftypes.NewValue(tftypes.String, nil)
		if v, ok := values[a.name]; ok {
			attrs[a.name] = tftypes.NewValue(tftypes.String, v)
		}
	}
	return &tfsdk.ResourceIdentity{Raw: tftypes.NewValue(assignmentIdentity.typ, attrs)}
}

func TestIdentityImported(t *testing.T) {
	parse := func(id string) ([]string, error) {
		if id == "" {
			return nil, errors.New("an empty id")
		}
		return strings.Split(id, "/"), nil
	}
	for _, tc := range []struct {
		name    string
		req     resource.ImportStateRequest
		want    []string
		wantErr string
	}{
		{name: "by id", req: resource.ImportStateRequest{ID: "prt_1/usr_1/member"}, want: []string{"prt_1", "usr_1", "member"}},
		{name: "an id wins over a null identity", req: resource.ImportStateRequest{ID: "prt_1/usr_1/member", Identity: identityOf(nil)}, want: []string{"prt_1", "usr_1", "member"}},
		{name: "by identity", req: resource.ImportStateRequest{Identity: identityOf(map[string]string{"partner_id": "prt_1", "user_id": "usr_1", "role": "member"})},
			want: []string{"prt_1", "usr_1", "member"}},
		{name: "partner left out", req: resource.ImportStateRequest{Identity: identityOf(map[string]string{"user_id": " usr_1 ", "role": "member"})},
			want: []string{"", "usr_1", "member"}},
		{name: "required left out", req: resource.ImportStateRequest{Identity: identityOf(map[string]string{"user_id": "usr_1"})}, wantErr: "must set role"},
		{name: "neither", req: resource.ImportStateRequest{}, wantErr: "an empty id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := assignmentIdentity.imported(tc.req, parse)
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diags[0].Detail(), tc.wantErr) {
					t.Fatalf("diagnostics %v, want an error with %q", diags, tc.wantErr)
				}
				return
			}
			if diags.HasError() || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, diags, tc.want)
			}
		})
	}
}

// The identity written from state is the state's own attributes, and
// nothing for an object that is not there.
func TestIdentitySetFromState(t *testing.T) {
	m := userModel{ID: types.StringValue("usr_1"), PartnerID: types.StringValue("prt_1")} // the rest null
	var state tftypes.Value
	if diags := userCodec().into(&state).Set(context.Background(), m); diags.HasError() {
		t.Fatal(diags)
	}
	dst := &tfsdk.ResourceIdentity{}
	if diags := userIdentity.set(dst, state); diags.HasError() {
		t.Fatal(diags)
	}
	want := tftypes.NewValue(userIdentity.typ, map[string]tftypes.Value{
		"partner_id": tftypes.NewValue(tftypes.String, "prt_1"), "id": tftypes.NewValue(tftypes.String, "usr_1"),
	})
	if !dst.Raw.Equal(want) {
		t.Fatalf("identity %v, want %v", dst.Raw, want)
	}
	removed := &tfsdk.ResourceIdentity{Raw: want}
	if diags := userIdentity.set(removed, tftypes.NewValue(userCodec().object, nil)); diags.HasError() || !removed.Raw.Equal(want) {
		t.Fatalf("a removed object changed the identity to %v (%v)", removed.Raw, diags)
	}
}
