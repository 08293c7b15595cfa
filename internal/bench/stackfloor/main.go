// Command stackfloor is the benchmark's second floor: a provider that serves
// portal_partner_user with the real provider's schema (its validators, plan
// modifiers and default included) on the same plugin stack, and does no
// work of its own: no HTTP, no checks, the planned state is the new state.
//
// terraform_data, the first floor, is served inside Terraform itself, so it
// costs no gRPC and no plugin framework, and its object has 4 attributes to
// portal_partner_user's 12. This provider is served as the real one is
// (provider.ServerFor, the same logging and garbage collector settings),
// so the time it takes is what Terraform, the protocol and the framework
// cost for this resource; what the real provider takes above it is the
// provider's own doing.
//
// The bench builds it into a folder of its own under the name Terraform
// expects (terraform-provider-portal) and points dev_overrides there.
package main

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/partnerportal/terraform-provider-portal/internal/provider"
)

func main() {
	provider.ProcessDefaults() // as the real provider's main does

	schema, err := userSchema(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	// Served as the real provider is (main.go): tf6server behind
	// provider.ServerFor, which lets go of each request's context.
	err = tf6server.Serve("registry.terraform.io/partnerportal/portal",
		provider.ServerFor(func() fwprovider.Provider { return &floorProvider{user: schema} }))
	if err != nil {
		log.Fatal(err)
	}
}

// userSchema is the real provider's portal_partner_user schema.
func userSchema(ctx context.Context) (resource.SchemaResponse, error) {
	p := provider.New("stackfloor")()
	var meta fwprovider.MetadataResponse
	p.Metadata(ctx, fwprovider.MetadataRequest{}, &meta)
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var m resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: meta.TypeName}, &m)
		if m.TypeName == userType {
			var s resource.SchemaResponse
			r.Schema(ctx, resource.SchemaRequest{}, &s)
			return s, nil
		}
	}
	return resource.SchemaResponse{}, fmt.Errorf("the provider has no %s resource", userType)
}

const userType = "portal_partner_user"

var (
	_ fwprovider.Provider = &floorProvider{}
	_ resource.Resource   = &userResource{}
)

// floorProvider has no settings and one resource.
type floorProvider struct {
	user resource.SchemaResponse
}

func (p *floorProvider) Metadata(_ context.Context, _ fwprovider.MetadataRequest, resp *fwprovider.MetadataResponse) {
	resp.TypeName = "portal"
}

func (p *floorProvider) Schema(context.Context, fwprovider.SchemaRequest, *fwprovider.SchemaResponse) {
}

func (p *floorProvider) Configure(context.Context, fwprovider.ConfigureRequest, *fwprovider.ConfigureResponse) {
}

func (p *floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &userResource{schema: p.user} }}
}

func (p *floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// userResource keeps what it is given. Read leaves the state as it is
// (the framework returns the state it was sent), Delete has nothing to do.
type userResource struct {
	schema resource.SchemaResponse
}

// nextID numbers the users this process creates.
var nextID atomic.Int64

func (r *userResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = userType
}

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	*resp = r.schema
}

func (r *userResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = r.known(req.Plan.Raw, &resp.Diagnostics)
}

func (r *userResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *userResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = r.known(req.Plan.Raw, &resp.Diagnostics)
}

func (r *userResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// known is the planned object with each value left unknown filled in as
// the portal would: a new id, the partner, status invited, the time.
func (r *userResource) known(planned tftypes.Value, diags *diag.Diagnostics) tftypes.Value {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	v, err := tftypes.Transform(planned, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() || len(p.Steps()) != 1 {
			return v, nil
		}
		name, _ := p.Steps()[0].(tftypes.AttributeName)
		switch name {
		case "id":
			return tftypes.NewValue(tftypes.String, fmt.Sprintf("usr_floor%07d", nextID.Add(1))), nil
		case "partner_id":
			return tftypes.NewValue(tftypes.String, "prt_floor"), nil
		case "status":
			return tftypes.NewValue(tftypes.String, "invited"), nil
		case "created_at":
			return tftypes.NewValue(tftypes.String, now), nil
		case "first_name", "last_name", "phone":
			return tftypes.NewValue(tftypes.String, ""), nil
		}
		return tftypes.NewValue(v.Type(), nil), nil // last_activity_at: never used yet
	})
	if err != nil {
		diags.AddError("Unable to fill in the planned object", err.Error())
	}
	return v
}
