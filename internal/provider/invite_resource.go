package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = &inviteResource{}
	_ resource.ResourceWithImportState = &inviteResource{}
	_ resource.ResourceWithModifyPlan  = &inviteResource{}
	_ resource.ResourceWithIdentity    = &inviteResource{}
)

// What an expired invite does in the plan.
const (
	onExpiryReinvite = "reinvite"
	onExpiryKeep     = "keep"
	onExpiryFail     = "fail"
)

func newInviteResource() resource.Resource {
	return &inviteResource{resourceBase{typeName: "partner_invite"}}
}

// inviteResource is portal_partner_invite: one invitation by email, kept as
// the same resource from sent through accepted or expired.
type inviteResource struct{ resourceBase }

type inviteModel struct {
	ID             types.String `tfsdk:"id"`
	PartnerID      types.String `tfsdk:"partner_id"`
	Email          types.String `tfsdk:"email"`
	Roles          types.Set    `tfsdk:"roles"`
	Lifetime       types.String `tfsdk:"lifetime"`
	AccessDuration types.String `tfsdk:"access_duration"`
	OnExpiry       types.String `tfsdk:"on_expiry"`
	MaxSends       types.Int64  `tfsdk:"max_sends"`
	ResendTriggers types.Map    `tfsdk:"resend_triggers"`
	Status         types.String `tfsdk:"status"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
	RespondedAt    types.String `tfsdk:"responded_at"`
	UserID         types.String `tfsdk:"user_id"`
	SendCount      types.Int64  `tfsdk:"send_count"`
	CreatedAt      types.String `tfsdk:"created_at"`
}

// inviteIdentity is portal_partner_invite's identity.
var inviteIdentity = newIdentity(partnerIdentity, identityAttr{name: "id", description: "The invite's id, such as `inv_0123abcd`."})

func (r *inviteResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "An invitation by email to join a partner, with a time-limited link. The resource stays the same from sent " +
			"through accepted or expired: acceptance is not drift (`status` becomes `accepted` and `user_id` is filled in), and what " +
			"expiry does is chosen with `on_expiry`. Once accepted, the roles belong to the user (manage them with `portal_partner_user` " +
			"or `portal_role_assignment`) and `roles` here is no longer compared. Destroying a pending invite revokes it; destroying an " +
			"accepted one leaves the user in place.",
		Attributes: map[string]schema.Attribute{
			"id":         setOnCreate("The invite's id, such as `inv_0123abcd`."),
			"partner_id": partnerIDArgument("the person is invited to", "invite"),
			"email": schema.StringAttribute{
				Required:      true,
				Description:   "The address the invitation is sent to, compared as the portal compares logins (letter case, Unicode form, an internationalised domain as Unicode or ASCII): writing it another way plans nothing. Changing it replaces the invite.",
				Validators:    []validator.String{validEmail()},
				PlanModifiers: []planmodifier.String{caseInsensitive, stringplanmodifier.RequiresReplaceIf(emailReallyChanged, "A different address replaces the invite.", "A different address replaces the invite.")},
			},
			"roles": schema.SetAttribute{
				ElementType: types.StringType, Optional: true, Computed: true,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, nil)),
				Description: "The keys of the roles the person gets on accepting. A pending invite's roles update in place; once accepted, they belong to the user and are no longer compared. Roles above what the API token may grant fail at plan time.",
				Validators:  []validator.Set{setvalidator.ValueStringsAre(validRoleKey())},
			},
			"lifetime": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("168h"),
				Description: "How long the link works, as a duration such as `72h`: from one minute to `720h` (30 days), in whole seconds. Default `168h` (7 days). A change applies from the next send.",
				Validators:  []validator.String{durationBetween(time.Minute, api.MaxInviteLifetimeSeconds*time.Second)},
			},
			"access_duration": schema.StringAttribute{
				Optional:    true,
				Description: "Temporary access: the person's access ends this long after they accept, such as `720h`, in whole seconds. Not set means access that does not end.",
				Validators:  []validator.String{durationBetween(time.Minute, 100*365*24*time.Hour)},
			},
			"on_expiry": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(onExpiryReinvite),
				Description: "What the plan does with an invite that expired unanswered: `reinvite` (default) plans an in-place resend with a new link and expiry; " +
					"`keep` plans nothing and leaves it expired; `fail` fails the plan with a message naming the invite.",
				Validators: []validator.String{stringvalidator.OneOf(onExpiryReinvite, onExpiryKeep, onExpiryFail)},
			},
			"max_sends": schema.Int64Attribute{
				Optional: true,
				Description: "With `on_expiry = \"reinvite\"`, how many times the invitation is sent at most: once `send_count` reaches it, " +
					"an invite that expires again is not resent; the plan warns, naming the address and the count, and leaves it expired " +
					"(raise it, or change `resend_triggers`, to send again). Not set means no limit.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"resend_triggers": schema.MapAttribute{
				ElementType: types.StringType, Optional: true,
				Description: "Arbitrary values; a new key, or a new value of a key, resends the invite in place (a new link and expiry) without replacing it. " +
					"Removing keys, or the whole attribute, changes no value and sends nothing.",
			},
			"status":       computedByPortal("`pending` (sent, waiting), `accepted`, `expired` (the link's time ran out) or `revoked`."),
			"expires_at":   computedByPortal("When the current link stops working (RFC 3339)."),
			"responded_at": computedByPortal("When the person accepted (RFC 3339), or null."),
			"user_id":      computedByPortal("The id of the user the person became on accepting, or null while pending."),
			"send_count": schema.Int64Attribute{
				Computed: true, Description: "How many times the invitation was sent: 1, plus one per resend.",
			},
			"created_at": setOnCreate("When the invite was first sent (RFC 3339)."),
		},
	}
}

func (r *inviteResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	inviteIdentity.schema(resp)
}

// ModifyPlan defaults the partner, checks roles against the token's ceiling,
// keeps an accepted invite's roles out of the comparison, and turns an
// expired invite into a planned resend, nothing, or an error (on_expiry).
func (r *inviteResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	plan, state, creating := planAndState[inviteModel](ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || creating && !r.data.planPartner(ctx, &plan.PartnerID, "invite", &resp.Diagnostics) {
		return
	}
	if !creating {
		r.planExisting(&plan, state, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	if plan.Roles.IsUnknown() || plan.PartnerID.IsUnknown() || (!creating && state.Status.ValueString() == api.InviteAccepted) {
		return
	}
	next, d := setStrings(ctx, plan.Roles)
	resp.Diagnostics.Append(d...)
	prev, d := setStrings(ctx, state.Roles)
	resp.Diagnostics.Append(d...)
	if !resp.Diagnostics.HasError() {
		r.data.checkRoleChange(ctx, plan.PartnerID.ValueString(), path.Root("roles"), prev, next, &resp.Diagnostics)
	}
}

func (r *inviteResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan inviteModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	body, d := inviteCreateFromModel(ctx, plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	inv, err := r.data.client.Invites.Create(ctx, plan.PartnerID.ValueString(), body)
	if addCreateInviteError(&resp.Diagnostics, plan, err) {
		return
	}
	resp.Diagnostics.Append(saveInvite(ctx, plan, inv, &resp.State, resp.Private)...)
	resp.Diagnostics.Append(inviteIdentity.set(resp.Identity, resp.State.Raw)...)
}

func (r *inviteResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state inviteModel
	resp.Diagnostics.Append(inviteIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	inv, err := throughRefusal(&r.data.auth, func() (*api.Invite, error) {
		return r.data.client.Invites.Get(ctx, state.PartnerID.ValueString(), state.ID.ValueString())
	})
	if errors.Is(err, client.ErrNotFound) || (err == nil && inv.Status == api.InviteRevoked) {
		resp.State.RemoveResource(ctx) // gone or revoked outside Terraform: planned as a new invite
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to read invitation", "invite "+state.ID.ValueString(), err) {
		return
	}
	resp.Diagnostics.Append(saveInvite(ctx, state, inv, &resp.State, resp.Private)...)
}

func (r *inviteResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state inviteModel
	resp.Diagnostics.Append(inviteIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	version, d := privateVersion(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, id := state.PartnerID.ValueString(), state.ID.ValueString()
	object := "invite " + id + " (" + state.Email.ValueString() + ")"
	inv := (*api.Invite)(nil)
	if state.Status.ValueString() == api.InviteAccepted {
		// Only Terraform-side settings changed (on_expiry, lifetime, triggers): nothing to send.
		got, err := r.data.client.Invites.Get(ctx, pid, id)
		if addAPIError(&resp.Diagnostics, "Unable to read invitation", object, err) {
			return
		}
		resp.Diagnostics.Append(saveInvite(ctx, plan, got, &resp.State, resp.Private)...)
		return
	}
	if !plan.Roles.Equal(state.Roles) || !plan.AccessDuration.Equal(state.AccessDuration) {
		upd, d := inviteUpdateFromModel(ctx, plan)
		resp.Diagnostics.Append(d...)
		if resp.Diagnostics.HasError() {
			return
		}
		var err error
		inv, err = r.data.client.Invites.Update(ctx, pid, id, upd, version)
		if addAPIError(&resp.Diagnostics, "Unable to update invitation", object, err) {
			return
		}
		resp.Diagnostics.Append(saveInvite(ctx, plan, inv, &resp.State, resp.Private)...)
	}
	if plan.SendCount.IsUnknown() {
		lifetime, _ := time.ParseDuration(plan.Lifetime.ValueString())
		var err error
		inv, err = r.data.client.Invites.Resend(ctx, pid, id, api.InviteResend{LifetimeSeconds: int64(lifetime.Seconds())})
		if addAPIError(&resp.Diagnostics, "Unable to resend invitation", object, err) {
			return
		}
	}
	if inv == nil {
		var err error
		inv, err = r.data.client.Invites.Get(ctx, pid, id)
		if addAPIError(&resp.Diagnostics, "Unable to read invitation", object, err) {
			return
		}
	}
	resp.Diagnostics.Append(saveInvite(ctx, plan, inv, &resp.State, resp.Private)...)
}

func (r *inviteResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state inviteModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A pending or expired invite is revoked; an accepted one is a record
	// whose user stays, and a revoked one is already done.
	_, err := r.data.client.Invites.Revoke(ctx, state.PartnerID.ValueString(), state.ID.ValueString())
	if !errors.Is(err, client.ErrNotFound) && !client.IsCode(err, api.CodeInviteNotPending) {
		addAPIError(&resp.Diagnostics, "Unable to revoke invitation", "invite "+state.ID.ValueString()+" ("+state.Email.ValueString()+")", err)
	}
}

// ImportState adopts an invite by id, or "PARTNER_ID/INVITE_ID", or by
// identity, { partner_id (optional), id }.
func (r *inviteResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, d := inviteIdentity.imported(req, func(id string) ([]string, error) {
		partnerID, ref, err := parseUserImportID(id)
		if err != nil {
			err = fmt.Errorf("import id %q must be an invite id (inv_...) or PARTNER_ID/INVITE_ID", id)
		}
		return []string{partnerID, ref}, err
	})
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	partnerID, ok := r.data.importPartner(ctx, v[0], "PARTNER_ID/INVITE_ID", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), v[1])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("partner_id"), partnerID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("on_expiry"), onExpiryReinvite)...)
	resp.Diagnostics.Append(inviteIdentity.set(resp.Identity, resp.State.Raw)...)
}

// emailReallyChanged replaces the invite for another address, not another case.
func emailReallyChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !equalFoldValues(req.StateValue, req.PlanValue)
}

// planExisting plans an update of an invite in state.
func (r *inviteResource) planExisting(plan *inviteModel, state inviteModel, diags *diag.Diagnostics) {
	status := state.Status.ValueString()
	if status == api.InviteAccepted && (!plan.Roles.Equal(state.Roles) || !plan.AccessDuration.Equal(state.AccessDuration)) {
		diags.AddAttributeWarning(path.Root("roles"), "Invitation already accepted",
			fmt.Sprintf("%s accepted invitation %s, so its roles and access_duration no longer apply: the user %s holds their own roles now. "+
				"This change only updates Terraform's record of the invite. Manage the user's roles with portal_partner_user or portal_role_assignment.",
				state.Email.ValueString(), state.ID.ValueString(), state.UserID.ValueString()))
	}
	resend := resendTriggered(plan.ResendTriggers, state.ResendTriggers) && status != api.InviteAccepted
	if status == api.InviteExpired {
		switch plan.OnExpiry.ValueString() {
		case onExpiryReinvite:
			resend = true
			if limit := plan.MaxSends; !limit.IsNull() && !limit.IsUnknown() && state.SendCount.ValueInt64() >= limit.ValueInt64() {
				if resend = resendTriggered(plan.ResendTriggers, state.ResendTriggers); !resend {
					diags.AddAttributeWarning(path.Root("max_sends"), "Invitation not sent again",
						fmt.Sprintf("The invitation %s to %s expired unanswered at %s, and it was sent %d times, as many as max_sends = %d allows: "+
							"it is left expired. To send it again, raise max_sends or change resend_triggers; or remove the resource.",
							state.ID.ValueString(), state.Email.ValueString(), state.ExpiresAt.ValueString(), state.SendCount.ValueInt64(), limit.ValueInt64()))
				}
			}
		case onExpiryFail:
			diags.AddAttributeError(path.Root("on_expiry"), "Invitation expired",
				fmt.Sprintf("The invitation %s to %s expired unanswered at %s (on_expiry = \"fail\"). Resend it by setting on_expiry = \"reinvite\" "+
					"or changing resend_triggers, or remove the resource.", state.ID.ValueString(), state.Email.ValueString(), state.ExpiresAt.ValueString()))
			return
		}
	}
	// Computed values move only with a send; otherwise keep them, so the plan
	// shows what really changes.
	plan.Status, plan.ExpiresAt, plan.SendCount = state.Status, state.ExpiresAt, state.SendCount
	plan.RespondedAt, plan.UserID = state.RespondedAt, state.UserID
	if resend {
		plan.Status = types.StringValue(api.InvitePending)
		plan.ExpiresAt, plan.SendCount = types.StringUnknown(), types.Int64Unknown()
	}
}

// resendTriggered reports whether the planned resend_triggers hold a value
// that state does not: a new key, or a key with another value (or a value
// not known until apply). Removing keys, or the whole attribute, changes
// no value, so it sends nothing.
func resendTriggered(plan, state types.Map) bool {
	if plan.IsUnknown() {
		return true
	}
	prior := state.Elements() // empty when state has none
	for k, v := range plan.Elements() {
		if old, ok := prior[k]; !ok || !old.Equal(v) {
			return true
		}
	}
	return false
}

// addCreateInviteError explains a failed invite, and reports whether there
// was one; for an address with a pending invite, it prints the import block
// that adopts it.
func addCreateInviteError(diags *diag.Diagnostics, plan inviteModel, err error) bool {
	email := plan.Email.ValueString()
	hint := ""
	switch apiErr, _ := client.AsAPIError(err); {
	case apiErr != nil && apiErr.Code == api.CodeInviteExists:
		hint = fmt.Sprintf("This address already has a pending invitation. To manage it here, adopt it with an import block "+
			"(use this resource's address):\n\nimport {\n  to = portal_partner_invite.<name>\n  id = %q\n}\n", apiErr.Problem.InviteID)
	case apiErr != nil && (apiErr.Code == api.CodeEmailTaken || apiErr.Code == api.CodeUserDeleted):
		hint = "This address is already a user of the portal, so there is no one to invite. Manage that user with portal_partner_user " +
			"(import it by email) instead."
	}
	return addAPIError(diags, "Unable to invite "+email, "inviting "+email, err, defaultAttribute(path.Root("email")), withHint(hint))
}

func saveInvite(ctx context.Context, prior inviteModel, inv *api.Invite, state stateSetter, private privateSetter) diag.Diagnostics {
	m, diags := inviteModelFromAPI(ctx, prior, inv)
	return saveState(ctx, m, diags, inv.Version, state, private)
}

func inviteModelFromAPI(ctx context.Context, prior inviteModel, inv *api.Invite) (inviteModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	m := prior
	m.ID = types.StringValue(inv.ID)
	m.PartnerID = types.StringValue(inv.PartnerID)
	if !equalFoldValues(prior.Email, types.StringValue(inv.Email)) {
		m.Email = types.StringValue(inv.Email)
	}
	if inv.Status != api.InviteAccepted || prior.Roles.IsNull() || prior.Roles.IsUnknown() {
		roles, d := types.SetValueFrom(ctx, types.StringType, inv.Roles)
		diags.Append(d...)
		m.Roles = roles
	}
	m.Lifetime = keepDuration(prior.Lifetime, inv.LifetimeSeconds, "168h")
	m.AccessDuration = keepDuration(prior.AccessDuration, inv.AccessDurationSeconds, "")
	if m.OnExpiry.IsNull() || m.OnExpiry.IsUnknown() {
		m.OnExpiry = types.StringValue(onExpiryReinvite)
	}
	if m.ResendTriggers.IsUnknown() || m.ResendTriggers.IsNull() { // null typed, also from a zero prior (a list result)
		m.ResendTriggers = types.MapNull(types.StringType)
	}
	m.Status = types.StringValue(inv.Status)
	m.ExpiresAt = timeValue(inv.ExpiresAt)
	m.RespondedAt = timeString(inv.RespondedAt)
	m.UserID = types.StringNull()
	if inv.UserID != "" {
		m.UserID = types.StringValue(inv.UserID)
	}
	m.SendCount = types.Int64Value(inv.SendCount)
	m.CreatedAt = timeValue(inv.CreatedAt)
	return m, diags
}

func inviteCreateFromModel(ctx context.Context, m inviteModel) (api.InviteCreate, diag.Diagnostics) {
	roles, diags := setStrings(ctx, m.Roles)
	lifetime, _ := time.ParseDuration(m.Lifetime.ValueString())
	access, _ := time.ParseDuration(m.AccessDuration.ValueString())
	return api.InviteCreate{Email: m.Email.ValueString(), Roles: roles,
		LifetimeSeconds: int64(lifetime.Seconds()), AccessDurationSeconds: int64(access.Seconds())}, diags
}

func inviteUpdateFromModel(ctx context.Context, m inviteModel) (api.InviteUpdate, diag.Diagnostics) {
	roles, diags := setStrings(ctx, m.Roles)
	access, _ := time.ParseDuration(m.AccessDuration.ValueString())
	seconds := int64(access.Seconds())
	return api.InviteUpdate{Roles: &roles, AccessDurationSeconds: &seconds}, diags
}
