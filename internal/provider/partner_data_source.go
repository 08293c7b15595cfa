package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ datasource.DataSourceWithConfigure = &partnerDataSource{}

func newPartnerDataSource() datasource.DataSource {
	return &partnerDataSource{dataSourceBase{typeName: "partner"}}
}

// partnerDataSource is portal_partner: one partner company and its settings.
type partnerDataSource struct{ dataSourceBase }

type partnerDataModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	UserAdminMinRole types.String `tfsdk:"user_admin_min_role"`
	CreatedAt        types.String `tfsdk:"created_at"`
	UpdatedAt        types.String `tfsdk:"updated_at"`
}

func (d *partnerDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A partner company of the portal and its settings: to read the partner the provider acts for (its id and name for " +
			"outputs and tags), or to check who may manage its users before planning changes to them.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Description: "The partner's id, such as `prt_0123abcd`. " + partnerDefault,
			},
			"name": computedString("The partner's name."),
			"user_admin_min_role": computedString("The lowest built-in role that may manage the partner's users and invites (a partner setting): " +
				"`owner`, `admin` or `manager` (the default)."),
			"created_at": computedString("When the partner was created (RFC 3339)."),
			"updated_at": computedString("When the partner or its settings last changed (RFC 3339)."),
		},
	}
}

func (d *partnerDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m partnerDataModel
	pid, ok := d.data.readConfig(ctx, req.Config, &m, &m.ID, "id", &resp.Diagnostics)
	if !ok {
		return
	}
	p, err := throughRefusal(&d.data.auth, func() (*api.Partner, error) { return d.data.client.Partners.Get(ctx, pid) })
	if addAPIError(&resp.Diagnostics, "Unable to read partner", "partner "+pid, err) {
		return
	}
	m.Name = types.StringValue(p.Name)
	m.UserAdminMinRole = types.StringValue(p.Settings.UserAdminMinRole)
	m.CreatedAt = timeValue(p.CreatedAt)
	m.UpdatedAt = timeValue(p.UpdatedAt)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}
