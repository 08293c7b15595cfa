package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ list.ListResourceWithConfigure = &roleList{}

func newRoleList() list.ListResource {
	return &roleList{resourceBase{typeName: "role"}}
}

// roleList is the portal_role list resource: a partner's custom roles.
type roleList struct{ resourceBase }

func (l *roleList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		Description: "Finds the custom roles of a partner, for `terraform query` (Terraform 1.14+): each result is a role's identity and, " +
			"with `include_resource = true`, the `portal_role` as import would read it. Built-in roles are not listed: they are granted " +
			"by key, never managed as `portal_role` (`portal_roles` lists them).",
		Attributes: map[string]listschema.Attribute{
			"partner_id": listPartnerID("custom roles"),
		},
	}
}

func (l *roleList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var m struct {
		PartnerID types.String `tfsdk:"partner_id"`
	}
	var diags diag.Diagnostics
	roles, _ := readList(ctx, l.data, req.Config, &m, &m.PartnerID, "roles", &diags, l.data.client.Roles.ListAll)
	pid := m.PartnerID.ValueString()
	roles = slices.DeleteFunc(roles, func(ro api.Role) bool { return ro.BuiltIn })
	streamResults(ctx, req, stream, roles, diags, func(ro *api.Role, r *list.ListResult) {
		roleIdentity.of(r.Identity, pid, ro.Key)
		r.DisplayName = displayName(ro.Name, ro.Key)
		if req.IncludeResource {
			m, d := roleModelFromAPI(ctx, ro)
			r.Diagnostics.Append(d...)
			r.Diagnostics.Append(r.Resource.Set(ctx, m)...)
		}
	})
}
