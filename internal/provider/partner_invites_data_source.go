package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ datasource.DataSourceWithConfigure = &invitesDataSource{}

func newInvitesDataSource() datasource.DataSource {
	return &invitesDataSource{dataSourceBase{typeName: "partner_invites"}}
}

// invitesDataSource is portal_partner_invites: the invitations of a partner
// that match some filters.
type invitesDataSource struct{ dataSourceBase }

type invitesDataModel struct {
	invitesFilter
	Invites []inviteDataModel `tfsdk:"invites"`
}

// invitesFilter is what portal_partner_invites and the portal_partner_invite
// list resource select invites by, with the same names, meaning and checks.
type invitesFilter struct {
	PartnerID types.String `tfsdk:"partner_id"`
	Status    types.String `tfsdk:"status"`
	Email     types.String `tfsdk:"email"`
}

// The filters' descriptions and the statuses an invite may have.
const (
	invitesStatusFilter = "Only invites with this status: `pending`, `accepted`, `expired` or `revoked`."
	invitesEmailFilter  = "Only invites sent to this address, compared case-insensitively."
)

var inviteStatuses = []string{api.InvitePending, api.InviteAccepted, api.InviteExpired, api.InviteRevoked}

func (d *invitesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The invitations of a partner that match the filters, each with the same attributes as `portal_partner_invite`: to " +
			"follow up on invitations still waiting or expired unanswered, or to adopt pending ones with `import` blocks and `for_each`. " +
			"All pages are read.",
		Attributes: map[string]schema.Attribute{
			"partner_id": partnerIDAttribute("invites"),
			"status":     schema.StringAttribute{Optional: true, Description: invitesStatusFilter, Validators: []validator.String{stringvalidator.OneOf(inviteStatuses...)}},
			"email":      schema.StringAttribute{Optional: true, Description: invitesEmailFilter, Validators: []validator.String{validEmail()}},
			"invites": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The matching invites, ordered by email, then by id.",
				NestedObject: schema.NestedAttributeObject{Attributes: inviteDataAttributes()},
			},
		},
	}
}

func (d *invitesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m invitesDataModel
	invites, ok := d.data.listInvites(ctx, req.Config, &m, &m.invitesFilter, &resp.Diagnostics)
	if !ok {
		return
	}
	m.Invites = mapAll(ctx, invites, &resp.Diagnostics, inviteDataFromAPI)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}

// listInvites reads a configuration holding an invitesFilter f into m (see
// readConfig) and lists the invites of its partner that match, ordered by
// email, then id. It reports false, with the diagnostics, on error.
func (d *providerData) listInvites(ctx context.Context, config tfsdk.Config, m any, f *invitesFilter, diags *diag.Diagnostics) ([]api.Invite, bool) {
	invites, ok := readList(ctx, d, config, m, &f.PartnerID, "invitations", diags, func(ctx context.Context, pid string) ([]api.Invite, error) {
		return d.client.Invites.ListAll(ctx, pid, api.InviteListOptions{Status: f.Status.ValueString(), Email: f.Email.ValueString()})
	})
	if ok {
		slices.SortFunc(invites, func(a, b api.Invite) int { return byEmail(a.Email, a.ID, b.Email, b.ID) })
	}
	return invites, ok
}
