package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ list.ListResourceWithConfigure = &inviteList{}

func newInviteList() list.ListResource {
	return &inviteList{resourceBase{typeName: "partner_invite"}}
}

// inviteList is the portal_partner_invite list resource: a partner's
// invitations with the filters of portal_partner_invites.
type inviteList struct{ resourceBase }

func (l *inviteList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		Description: "Finds the invitations of a partner that match the filters, as `portal_partner_invites` does, for `terraform query` " +
			"(Terraform 1.14+): each result is an invite's identity and, with `include_resource = true`, the `portal_partner_invite` as import " +
			"would read it (with `on_expiry = \"reinvite\"`). Ordered by email, then id. A revoked invite is listed but cannot be imported.",
		Attributes: map[string]listschema.Attribute{
			"partner_id": listPartnerID("invites"),
			"status":     listschema.StringAttribute{Optional: true, Description: invitesStatusFilter, Validators: []validator.String{stringvalidator.OneOf(inviteStatuses...)}},
			"email":      listschema.StringAttribute{Optional: true, Description: invitesEmailFilter, Validators: []validator.String{validEmail()}},
		},
	}
}

func (l *inviteList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var f invitesFilter
	var diags diag.Diagnostics
	invites, _ := l.data.listInvites(ctx, req.Config, &f, &f, &diags)
	pid := f.PartnerID.ValueString()
	streamResults(ctx, req, stream, invites, diags, func(inv *api.Invite, r *list.ListResult) {
		inviteIdentity.of(r.Identity, pid, inv.ID)
		r.DisplayName = displayName(inv.Email, inv.Status)
		if req.IncludeResource {
			m, d := inviteModelFromAPI(ctx, inviteModel{}, inv)
			r.Diagnostics.Append(d...)
			r.Diagnostics.Append(r.Resource.Set(ctx, m)...)
		}
	})
}
