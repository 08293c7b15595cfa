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
	_ action.ActionWithConfigure  = &passwordResetAction{}
	_ action.ActionWithModifyPlan = &passwordResetAction{}
)

func newPasswordResetAction() action.Action {
	return &passwordResetAction{actionBase{typeName: "password_reset"}}
}

// passwordResetAction is portal_password_reset: mail a partner user a
// time-limited link to choose a new password (POST
// .../users/{user_id}/password-reset). No password ever passes through
// Terraform.
type passwordResetAction struct{ actionBase }

type passwordResetModel struct {
	UserID    types.String `tfsdk:"user_id"`
	PartnerID types.String `tfsdk:"partner_id"`
}

func (a *passwordResetAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Mails a partner user a link to choose a new password, which works for 24 hours; the user's password stays as it is " +
			"until the link is used, and earlier unused links stop working. A user who has not set a password yet (status `invited`) " +
			"gets a new link the same way. No password passes through Terraform, its plan or its state. " +
			"The API token needs `users.manage` (which the partner's `user_admin_min_role` may withhold), and the user must rank below " +
			"the token's role unless the token is an owner's; both are checked at plan time when the user is known then. " +
			"Run it with `terraform apply -invoke=action.portal_password_reset.NAME`, or from a resource's `lifecycle { action_trigger { ... } }`. " +
			"Needs Terraform 1.14 or later (OpenTofu 1.12 has no actions).",
		Attributes: map[string]schema.Attribute{
			"user_id": schema.StringAttribute{
				Required:    true,
				Description: "The user's id, such as `usr_0123abcd`: `portal_partner_user.NAME.id`, or an element of `portal_partner_users`.",
				Validators:  []validator.String{validObjectID("user", "usr_0123abcd")},
			},
			"partner_id": actionPartnerID("the user belongs to"),
		},
	}
}

// ModifyPlan checks, when the user is known at plan time, what the portal
// would refuse: a user that does not exist or was removed, a token that may
// not manage users, a user ranked too high for the token.
func (a *passwordResetAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m passwordResetModel
	pid, ok := a.data.actionConfig(ctx, req.Config, &m, &m.UserID, &m.PartnerID, &resp.Diagnostics)
	if !ok {
		return
	}
	id, at := m.UserID.ValueString(), path.Root("user_id")
	u, err := a.data.client.Users.Get(ctx, pid, id)
	switch {
	case errors.Is(err, client.ErrNotFound):
		resp.Diagnostics.AddAttributeError(at, "User not found",
			fmt.Sprintf("Partner %s has no user %s (or this API token may not see it), so there is no one to send a password link to.", pid, id))
		return
	case addAPIError(&resp.Diagnostics, "Unable to read user", "user "+id, err, defaultAttribute(at)):
		return
	case u.Status == api.UserDeleted:
		resp.Diagnostics.AddAttributeError(at, "User removed", removedUserDetail(u))
		return
	}
	a.data.checkTargetRank(ctx, userModel{ID: types.StringValue(u.ID), Email: types.StringValue(u.Email), PartnerID: types.StringValue(pid)},
		u.Roles, at, &resp.Diagnostics)
}

func (a *passwordResetAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m passwordResetModel
	pid, ok := a.data.actionConfig(ctx, req.Config, &m, &m.UserID, &m.PartnerID, &resp.Diagnostics)
	if !ok {
		return
	}
	id := m.UserID.ValueString()
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Mailing a password-reset link to user %s of partner %s", id, pid)})
	sent, err := a.data.client.Users.ResetPassword(ctx, pid, id)
	hint := ""
	if client.IsCode(err, api.CodeUserDeleted) {
		hint = removedUserDetail(&api.User{ID: id, PartnerID: pid})
	}
	if addAPIError(&resp.Diagnostics, "Unable to send a password reset", "user "+id, err, defaultAttribute(path.Root("user_id")), withHint(hint)) {
		return
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Mailed %s a link to choose a new password; it works until %s",
		sent.Email, timeValue(sent.ExpiresAt).ValueString())})
}

// removedUserDetail explains that a removed user gets no password link.
func removedUserDetail(u *api.User) string {
	return fmt.Sprintf("User %s of partner %s was removed (soft-deleted), so it gets no password link: it has no access to use one. "+
		"Restore it first (restore_if_deleted = true on its portal_partner_user, or POST /v1/partners/%s/users/%s/restore).",
		u.ID, u.PartnerID, u.PartnerID, u.ID)
}
