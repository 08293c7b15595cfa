package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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
	PartnerID types.String      `tfsdk:"partner_id"`
	Status    types.String      `tfsdk:"status"`
	Email     types.String      `tfsdk:"email"`
	Invites   []inviteDataModel `tfsdk:"invites"`
}

func (d *invitesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The invitations of a partner that match the filters, each with the same attributes as `portal_partner_invite`: to " +
			"follow up on invitations still waiting or expired unanswered, or to adopt pending ones with `import` blocks and `for_each`. " +
			"All pages are read.",
		Attributes: map[string]schema.Attribute{
			"partner_id": partnerIDAttribute("invites"),
			"status": schema.StringAttribute{
				Optional:    true,
				Description: "Only invites with this status: `pending`, `accepted`, `expired` or `revoked`.",
				Validators:  []validator.String{stringvalidator.OneOf(api.InvitePending, api.InviteAccepted, api.InviteExpired, api.InviteRevoked)},
			},
			"email": schema.StringAttribute{
				Optional:    true,
				Description: "Only invites sent to this address, compared case-insensitively.",
				Validators:  []validator.String{validEmail()},
			},
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
	invites, ok := readList(ctx, d.data, req.Config, &m, &m.PartnerID, "invitations", &resp.Diagnostics, func(ctx context.Context, pid string) ([]api.Invite, error) {
		return d.data.client.Invites.ListAll(ctx, pid, api.InviteListOptions{Status: m.Status.ValueString(), Email: m.Email.ValueString()})
	})
	if !ok {
		return
	}
	slices.SortFunc(invites, func(a, b api.Invite) int { return byEmail(a.Email, a.ID, b.Email, b.ID) })
	m.Invites = mapAll(ctx, invites, &resp.Diagnostics, inviteDataFromAPI)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}
