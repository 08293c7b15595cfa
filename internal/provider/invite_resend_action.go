package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ action.ActionWithConfigure  = &inviteResendAction{}
	_ action.ActionWithModifyPlan = &inviteResendAction{}
)

func newInviteResendAction() action.Action {
	return &inviteResendAction{actionBase{typeName: "invite_resend"}}
}

// inviteResendAction is portal_invite_resend: mail a pending or expired
// invitation again, with a new link and expiry, as a step a configuration
// runs (terraform apply -invoke, or a resource's action_trigger) rather than
// a change to the portal_partner_invite resource.
type inviteResendAction struct{ actionBase }

type inviteResendModel struct {
	InviteID  types.String `tfsdk:"invite_id"`
	PartnerID types.String `tfsdk:"partner_id"`
}

func (a *inviteResendAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Resends a pending or expired invitation: the portal mails it again with a new link and a new expiry " +
			"(the invitation's lifetime from now), adds one to its `send_count`, and the previous link stops working. " +
			"The `portal_partner_invite` that manages the invitation is not replaced; its next refresh reads the new expiry and count. " +
			"An accepted or revoked invitation cannot be resent: that fails, at plan time when the invitation is known then. " +
			"Run it with `terraform apply -invoke=action.portal_invite_resend.NAME`, or from a resource's `lifecycle { action_trigger { ... } }`. " +
			"Needs Terraform 1.14 or later (OpenTofu 1.12 has no actions), and an API token that may manage invitations (`invites.manage`).",
		Attributes: map[string]schema.Attribute{
			"invite_id": schema.StringAttribute{
				Required:    true,
				Description: "The invitation's id, such as `inv_0123abcd`: `portal_partner_invite.NAME.id`, or an element of `portal_partner_invites`.",
				Validators:  []validator.String{validObjectID("invite", "inv_0123abcd")},
			},
			"partner_id": actionPartnerID("the invitation belongs to"),
		},
	}
}

// ModifyPlan checks, when the invitation is known at plan time, that it
// exists and can be resent, so that an accepted or revoked invitation fails
// the plan rather than the apply.
func (a *inviteResendAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m inviteResendModel
	pid, ok := a.data.actionConfig(ctx, req.Config, &m, &m.InviteID, &m.PartnerID, &resp.Diagnostics)
	if !ok {
		return
	}
	id := m.InviteID.ValueString()
	inv, err := a.data.client.Invites.Get(ctx, pid, id)
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("invite_id"), "Invitation not found",
			fmt.Sprintf("Partner %s has no invitation %s (or this API token may not see it), so there is nothing to resend.", pid, id))
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to read invitation", "invite "+id, err, defaultAttribute(path.Root("invite_id"))) {
		return
	}
	if inv.Status != api.InvitePending && inv.Status != api.InviteExpired {
		resp.Diagnostics.AddAttributeError(path.Root("invite_id"), "Invitation cannot be resent", notResendable(inv))
	}
}

func (a *inviteResendAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m inviteResendModel
	pid, ok := a.data.actionConfig(ctx, req.Config, &m, &m.InviteID, &m.PartnerID, &resp.Diagnostics)
	if !ok {
		return
	}
	id := m.InviteID.ValueString()
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Resending invitation %s of partner %s", id, pid)})
	inv, err := a.data.client.Invites.Resend(ctx, pid, id, api.InviteResend{})
	if client.IsCode(err, api.CodeInviteNotPending) {
		if got, gerr := a.data.client.Invites.Get(ctx, pid, id); gerr == nil {
			addAPIError(&resp.Diagnostics, "Invitation cannot be resent", "invite "+id, err, defaultAttribute(path.Root("invite_id")),
				withHint(notResendable(got)))
			return
		}
	}
	if addAPIError(&resp.Diagnostics, "Unable to resend invitation", "invite "+id, err, defaultAttribute(path.Root("invite_id"))) {
		return
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Sent invitation %s to %s again (send %d); the new link works until %s",
		inv.ID, inv.Email, inv.SendCount, timeValue(inv.ExpiresAt).ValueString())})
}

// notResendable explains why an invitation that is neither pending nor
// expired is not resent, and what to do instead.
func notResendable(inv *api.Invite) string {
	if inv.Status == api.InviteAccepted {
		return fmt.Sprintf("Invitation %s to %s was accepted: the person is user %s now, so there is nothing to resend. "+
			"To send them a new password link, use the portal_password_reset action with user_id = %q.", inv.ID, inv.Email, inv.UserID, inv.UserID)
	}
	return fmt.Sprintf("Invitation %s to %s is %s: only a pending or expired invitation can be resent. "+
		"To invite the person again, create a new portal_partner_invite.", inv.ID, inv.Email, inv.Status)
}

// actionPartnerID is an action's partner_id: the partner its object
// belongs to (whose), defaulted as every partner_id is.
func actionPartnerID(whose string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:    true,
		Description: "The partner " + whose + ". " + partnerDefault,
		Validators:  []validator.String{validObjectID("partner", "prt_0123abcd")},
	}
}
