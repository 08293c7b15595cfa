package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ datasource.DataSourceWithConfigure = &rolesDataSource{}

func newRolesDataSource() datasource.DataSource {
	return &rolesDataSource{dataSourceBase{typeName: "roles"}}
}

// rolesDataSource is portal_roles: the built-in and custom roles of a partner.
type rolesDataSource struct{ dataSourceBase }

type rolesDataModel struct {
	PartnerID types.String    `tfsdk:"partner_id"`
	Roles     []roleDataModel `tfsdk:"roles"`
}

func (d *rolesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The roles of a partner, built-in and custom, highest rank first: to see which role keys exist and what each permits, " +
			"for instance to validate the roles of a CSV of users before they reach `portal_partner_user`.",
		Attributes: map[string]schema.Attribute{
			"partner_id": partnerIDAttribute("roles"),
			"roles": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The roles, highest rank first, then by key (the portal's order).",
				NestedObject: schema.NestedAttributeObject{Attributes: roleDataAttributes()},
			},
		},
	}
}

func (d *rolesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m rolesDataModel
	roles, ok := readList(ctx, d.data, req.Config, &m, &m.PartnerID, "roles", &resp.Diagnostics, d.data.client.Roles.ListAll)
	if !ok {
		return
	}
	m.Roles = mapAll(ctx, roles, &resp.Diagnostics, roleDataFromAPI)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}

// roleDataModel is one role, as portal_roles shows it.
type roleDataModel struct {
	Key         types.String `tfsdk:"key"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	Rank        types.Int64  `tfsdk:"rank"`
	Permissions types.Set    `tfsdk:"permissions"`
	BuiltIn     types.Bool   `tfsdk:"built_in"`
}

// roleDataAttributes are the attributes of roleDataModel, all computed.
func roleDataAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"key":         computedString("The role's key, used to grant it, such as `member`."),
		"name":        computedString("The role's display name."),
		"description": computedString("What the role is for."),
		"rank":        computedInt64("The role's rank: owner 100, admin 80, manager 60, member 40, read_only 20; custom roles 1 to 99."),
		"permissions": computedStringSet("What the role's holders may do."),
		"built_in":    computedBool("Whether the role is built in (`true`) or a custom role of the partner."),
	}
}

func roleDataFromAPI(ctx context.Context, r *api.Role) (roleDataModel, diag.Diagnostics) {
	perms, diags := stringSet(ctx, r.Permissions)
	return roleDataModel{
		Key:         types.StringValue(r.Key),
		Name:        types.StringValue(r.Name),
		Description: types.StringValue(r.Description),
		Rank:        types.Int64Value(int64(r.Rank)),
		Permissions: perms,
		BuiltIn:     types.BoolValue(r.BuiltIn),
	}, diags
}
