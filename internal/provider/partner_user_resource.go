package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = &userResource{}
	_ resource.ResourceWithImportState = &userResource{}
	_ resource.ResourceWithModifyPlan  = &userResource{}
	_ resource.ResourceWithIdentity    = &userResource{}
)

func newUserResource() resource.Resource {
	return &userResource{resourceBase{typeName: "partner_user"}}
}

// userResource is portal_partner_user: one person with access to a partner.
type userResource struct{ resourceBase }

type userModel struct {
	ID               types.String `tfsdk:"id"`
	PartnerID        types.String `tfsdk:"partner_id"`
	Email            types.String `tfsdk:"email"`
	FirstName        types.String `tfsdk:"first_name"`
	LastName         types.String `tfsdk:"last_name"`
	Phone            types.String `tfsdk:"phone"`
	Roles            types.Set    `tfsdk:"roles"`
	Permissions      types.Set    `tfsdk:"permissions"`
	AccessExpiresAt  types.String `tfsdk:"access_expires_at"`
	RestoreIfDeleted types.Bool   `tfsdk:"restore_if_deleted"`
	Status           types.String `tfsdk:"status"`
	CreatedAt        types.String `tfsdk:"created_at"`
	LastActivityAt   types.String `tfsdk:"last_activity_at"`
}

// userIdentity is portal_partner_user's identity.
var userIdentity = newIdentity(partnerIdentity, identityAttr{name: "id", description: "The user's id, such as `usr_0123abcd`."})

// userCodec reads and writes userModel without the framework's per-call
// reflection (see modelCodec): this resource is planned and refreshed once
// per user in a bulk run.
var userCodec = sync.OnceValue(func() *modelCodec[userModel] {
	var resp resource.SchemaResponse
	(&userResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	return newModelCodec[userModel](resp.Schema)
})

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A person with access to a partner of the portal, and (optionally) the exact set of roles they hold. " +
			"Destroying it removes the person's access with a soft delete; the account can be restored. A destroy, and a plan that leaves the user with no role, " +
			"count toward the provider's removal guard. A change made in the portal by hand shows in the plan with a warning naming who made it, from the audit trail.",
		Attributes: map[string]schema.Attribute{
			"id":         setOnCreate("The user's id, such as `usr_0123abcd`."),
			"partner_id": partnerIDArgument("the user belongs to", "user"),
			"email": schema.StringAttribute{
				Required: true,
				Description: "The user's email address, which is their login. It is unique across the whole portal and compared as the portal " +
					"compares logins: in any letter case, Unicode form, and with an internationalised domain as Unicode or as ASCII " +
					"(`bücher.example` or `xn--bcher-kva.example`). Changing only how it is written plans nothing; changing it otherwise updates the user in place.",
				Validators:    []validator.String{validEmail()},
				PlanModifiers: []planmodifier.String{caseInsensitive},
			},
			"first_name": leftWhenUnset("Given name. Left as the portal has it when not set.", validText()),
			"last_name":  leftWhenUnset("Family name. Left as the portal has it when not set.", validText()),
			"phone": leftWhenUnset("Phone number in E.164 form: `+`, the country code and the number, such as `+14155550123`. `\"\"` clears it. "+
				"Left as the portal has it when not set; null in state when the user has none, so configuration generated from an import leaves it out.", validPhone()),
			"roles": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Description: "The keys of the roles the user holds: built-in (`owner`, `admin`, `manager`, `member`, `read_only`) or custom. " +
					"When set, it is authoritative: a role added or removed in the portal by hand shows in the plan and apply puts it back, " +
					"and the plan shows every role it takes away. When not set, the user's roles are left to other resources " +
					"(`portal_role_assignment`): they are read into state as the portal has them, and never planned as a change " +
					"(so removing `roles` from the configuration changes nothing in the portal). " +
					"Roles above what the API token may grant fail at plan time.",
				Validators:    []validator.Set{setvalidator.ValueStringsAre(validRoleKey())},
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
			},
			"permissions": schema.SetAttribute{
				ElementType: types.StringType,
				Computed:    true,
				Description: "What the user may do: the union of the permissions of their `roles`, such as `users.manage`, from the partner's roles " +
					"(built-in and custom, as `portal_roles` lists them). It is computed at plan time from the roles planned, so a plan review shows " +
					"the permissions a role change grants or takes away; it is unknown only while a role is (a role created in the same plan is known). " +
					"A partner's `user_admin_min_role` may still withhold `users.manage` and `invites.manage` from a user ranked below it.",
			},
			"access_expires_at": schema.StringAttribute{
				Optional: true,
				Description: "When the user's access ends, as an RFC 3339 time such as `2027-01-31T18:00:00Z`: temporary access for people needed only for a while. " +
					"It must be in the future when set or changed. The portal keeps times to the microsecond, so at most six digits may follow the seconds. The same instant written another way " +
					"(another offset) is not a change. Not set means access does not end; removing it from the configuration removes the end date.",
				Validators:    []validator.String{validRFC3339()},
				PlanModifiers: []planmodifier.String{sameInstant},
			},
			"restore_if_deleted": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				Description: "When the email belongs to a removed (soft-deleted) account of this partner, restore that account and update it " +
					"to this configuration instead of failing. Default `false`.",
			},
			"status":           computedByPortal("`invited` (has not set a password yet), `active`, or `expired` (past `access_expires_at`)."),
			"created_at":       setOnCreate("When the user was created (RFC 3339)."),
			"last_activity_at": computedByPortal("When the user last used the portal (RFC 3339), or null if never."),
		},
	}
}

func (r *userResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	userIdentity.schema(resp)
}

// ModifyPlan fills in the default partner and checks before anything is
// sent what the portal would refuse: unknown roles, roles above the token's
// ceiling, an access end in the past, a change to a user the token ranks
// too low to change.
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	if req.Plan.Raw.IsNull() {
		// A destroy removes the person's access: the removal guard counts it.
		var state userModel
		resp.Diagnostics.Append(userCodec().get(ctx, req.State.Raw, &state)...)
		if !resp.Diagnostics.HasError() {
			r.data.guardUserRemoval(ctx, nil, state, &resp.Diagnostics)
		}
		return
	}
	if !req.State.Raw.IsNull() && req.Plan.Raw.Equal(req.State.Raw) {
		// Nothing changes, by far the most common plan: skip decoding the
		// plan and state into models, which costs a third of a no-op plan.
		r.noteRawRoles(req.Plan.Raw, req.Config.Raw, &resp.Diagnostics)
		return
	}
	var plan, state userModel
	resp.Diagnostics.Append(userCodec().get(ctx, req.Plan.Raw, &plan)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(userCodec().get(ctx, req.State.Raw, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() && plan.PartnerID.IsUnknown() {
		if !r.data.planPartner(ctx, &plan.PartnerID, "user", &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(userCodec().into(&resp.Plan.Raw).Set(ctx, plan)...)
	}
	if !req.State.Raw.IsNull() && plan.AccessExpiresAt.Equal(state.AccessExpiresAt) {
		// The framework marks computed values unknown on any change, but an
		// update that leaves access_expires_at alone changes neither status
		// nor last activity: keep them, so a reviewer sees only what moves
		// (and a change of spelling alone, such as email case, plans nothing).
		plan.Status, plan.LastActivityAt = state.Status, state.LastActivityAt
		resp.Diagnostics.Append(userCodec().into(&resp.Plan.Raw).Set(ctx, plan)...)
	}
	if perms := r.data.plannedPermissions(ctx, plan.PartnerID, plan.Roles, &resp.Diagnostics); !perms.Equal(plan.Permissions) {
		plan.Permissions = perms
		resp.Diagnostics.Append(userCodec().into(&resp.Plan.Raw).Set(ctx, plan)...)
	}
	if resp.Diagnostics.HasError() {
		return // the roles could not be read: the checks below would only say so again
	}
	if rolesConfigured(req.Config.Raw) {
		r.data.noteAuthoritativeRoles(plan.ID.ValueString(), path.Root("roles"), &resp.Diagnostics)
		if plan.ID.IsUnknown() {
			r.data.noteNewAuthoritativeUser(plan.PartnerID.ValueString(), plan.Email.ValueString())
		}
	}
	if !req.State.Raw.IsNull() && sameUserSettings(plan, state) {
		return
	}
	if !req.State.Raw.IsNull() {
		r.data.guardUserRemoval(ctx, &plan, state, &resp.Diagnostics)
	}
	r.checkPlannedChange(ctx, req.State.Raw.IsNull(), plan, state, &resp.Diagnostics)
	// Roles not configured are planned as state has them (or unknown, for a
	// new user): only configured roles that differ are checked.
	if plan.Roles.IsNull() || plan.Roles.IsUnknown() || plan.Roles.Equal(state.Roles) || plan.PartnerID.IsUnknown() {
		return
	}
	next, d := setStrings(ctx, plan.Roles)
	resp.Diagnostics.Append(d...)
	prev, d := setStrings(ctx, state.Roles)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.checkRoleChange(ctx, plan.PartnerID.ValueString(), path.Root("roles"), prev, next, &resp.Diagnostics)
}

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userModel
	resp.Diagnostics.Append(userCodec().get(ctx, req.Plan.Raw, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	body, d := userCreateFromModel(ctx, plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid := plan.PartnerID.ValueString()
	u, err := r.data.client.Users.Create(ctx, pid, body)
	if err == nil {
		r.data.users.wrote(u)
	}
	if apiErr, ok := client.AsAPIError(err); ok && apiErr.Code == api.CodeUserDeleted && plan.RestoreIfDeleted.ValueBool() && apiErr.Problem.RestorableUserID != "" {
		r.restore(ctx, plan, apiErr.Problem.RestorableUserID, resp)
		resp.Diagnostics.Append(userIdentity.set(resp.Identity, resp.State.Raw)...)
		return
	}
	if addCreateUserError(&resp.Diagnostics, plan, err) {
		return
	}
	resp.Diagnostics.Append(r.saveUser(ctx, plan, u, userCodec().into(&resp.State.Raw), resp.Private)...)
	resp.Diagnostics.Append(userIdentity.set(resp.Identity, resp.State.Raw)...)
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userModel
	resp.Diagnostics.Append(userIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(userCodec().get(ctx, req.State.Raw, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.data.users.get(ctx, r.data.client, state.PartnerID.ValueString(), state.ID.ValueString())
	who := "User " + state.ID.ValueString() + " (" + state.Email.ValueString() + ")"
	if errors.Is(err, client.ErrNotFound) || (err == nil && u.Status == api.UserDeleted) {
		if err == nil {
			r.data.warnDrift(ctx, u.PartnerID, u.ID, u.Email, who, removedDrift(state.Status), &resp.Diagnostics)
		}
		resp.State.RemoveResource(ctx) // removed outside Terraform: plan creates it again
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to read partner user", "user "+state.ID.ValueString(), err) {
		return
	}
	m, d := userModelFromAPI(ctx, state, u)
	m.Permissions = r.data.permissionsOf(ctx, u.PartnerID, u.Roles, state.Permissions, &resp.Diagnostics)
	r.data.warnDrift(ctx, u.PartnerID, u.ID, u.Email, who, userDrift(state, m), &resp.Diagnostics)
	version, vd := privateVersion(ctx, req.Private)
	resp.Diagnostics.Append(vd...)
	if !d.HasError() && !vd.HasError() && version == u.Version && sameUser(m, state) {
		return // unchanged: the framework keeps the state and private state it read
	}
	resp.Diagnostics.Append(saveState(ctx, m, d, u.Version, userCodec().into(&resp.State.Raw), resp.Private)...)
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userModel
	resp.Diagnostics.Append(userIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(userCodec().get(ctx, req.Plan.Raw, &plan)...)
	resp.Diagnostics.Append(userCodec().get(ctx, req.State.Raw, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	upd, d := userUpdateFromModel(ctx, plan, &state)
	resp.Diagnostics.Append(d...)
	version, d := privateVersion(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	if upd == (api.UserUpdate{}) {
		// Only what Terraform alone keeps changed (restore_if_deleted): the
		// portal has nothing to change, so nothing is sent.
		resp.Diagnostics.Append(userCodec().into(&resp.State.Raw).Set(ctx, plan)...)
		return
	}
	u, err := r.data.client.Users.Update(ctx, state.PartnerID.ValueString(), state.ID.ValueString(), upd, version)
	if err == nil {
		r.data.users.wrote(u)
	}
	object := "user " + state.ID.ValueString() + " (" + state.Email.ValueString() + ")"
	if errors.Is(err, client.ErrPreconditionFailed) {
		addAPIError(&resp.Diagnostics, "Partner user changed since it was read", object, err, withHint(changedSinceRead("user")))
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to update partner user", object, err) {
		return
	}
	// Status and last activity were planned from state when nothing that
	// moves them changed; keep them (the next refresh reads the portal's).
	// So are roles not configured, which this update did not send.
	m, d := userModelFromAPI(ctx, plan, u)
	m.Permissions = r.data.permissionsOf(ctx, u.PartnerID, u.Roles, plan.Permissions, &resp.Diagnostics)
	if !plan.Status.IsUnknown() {
		m.Status, m.LastActivityAt = plan.Status, plan.LastActivityAt
	}
	if !rolesConfigured(req.Config.Raw) {
		m.Roles = plan.Roles
	}
	resp.Diagnostics.Append(saveState(ctx, m, d, u.Version, userCodec().into(&resp.State.Raw), resp.Private)...)
}

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userModel
	resp.Diagnostics.Append(userCodec().get(ctx, req.State.Raw, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.data.client.Users.Delete(ctx, state.PartnerID.ValueString(), state.ID.ValueString(), 0)
	r.data.users.changed(state.PartnerID.ValueString(), state.ID.ValueString())
	if !errors.Is(err, client.ErrNotFound) {
		addAPIError(&resp.Diagnostics, "Unable to remove partner user", "user "+state.ID.ValueString()+" ("+state.Email.ValueString()+")", err)
	}
}

// ImportState adopts an existing user by id or by email, optionally with the
// partner first: "usr_123", "ana@example.com", "prt_9/usr_123", "prt_9/ana@example.com";
// or by identity, { partner_id (optional), id }.
func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, d := userIdentity.imported(req, func(id string) ([]string, error) {
		partnerID, ref, err := parseUserImportID(id)
		return []string{partnerID, ref}, err
	})
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	partnerID, ok := r.data.importPartner(ctx, v[0], "PARTNER_ID/USER", &resp.Diagnostics)
	if !ok {
		return
	}
	id, ref := v[1], v[1]
	if strings.Contains(ref, "@") {
		list, err := r.data.client.Users.List(ctx, partnerID, api.UserListOptions{Email: ref})
		if addAPIError(&resp.Diagnostics, "Unable to find partner user", "looking up "+ref+" in partner "+partnerID, err) {
			return
		}
		if len(list.Users) == 0 {
			resp.Diagnostics.AddError("Partner user not found", fmt.Sprintf("No user of partner %s has the email %s (compared as the portal compares logins, in any letter case). Removed users are not imported; restore them first.", partnerID, ref))
			return
		}
		id = list.Users[0].ID
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("partner_id"), partnerID)...)
	resp.Diagnostics.Append(userIdentity.set(resp.Identity, resp.State.Raw)...)
}

// restore brings back a removed account and updates it to the plan. The
// restored user is saved to state before the update, so a failing update
// leaves it tracked (tainted) rather than lost.
func (r *userResource) restore(ctx context.Context, plan userModel, userID string, resp *resource.CreateResponse) {
	pid := plan.PartnerID.ValueString()
	u, err := r.data.client.Users.Restore(ctx, pid, userID)
	if err == nil {
		r.data.users.wrote(u)
	}
	if addAPIError(&resp.Diagnostics, "Unable to restore partner user", "restoring removed user "+userID+" ("+plan.Email.ValueString()+")", err) {
		return
	}
	resp.Diagnostics.Append(r.saveUser(ctx, plan, u, userCodec().into(&resp.State.Raw), resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	upd, d := userUpdateFromModel(ctx, plan, nil)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err = r.data.client.Users.Update(ctx, pid, userID, upd, u.Version)
	if err == nil {
		r.data.users.wrote(u)
	}
	if addAPIError(&resp.Diagnostics, "Unable to update restored partner user", "user "+userID+" was restored but not updated to the configuration; the next apply retries", err) {
		return
	}
	resp.Diagnostics.Append(r.saveUser(ctx, plan, u, userCodec().into(&resp.State.Raw), resp.Private)...)
}

// addCreateUserError explains a failed create, and reports whether there
// was one; for an email that is already a user, it prints the import block
// that adopts that user instead.
func addCreateUserError(diags *diag.Diagnostics, plan userModel, err error) bool {
	email := plan.Email.ValueString()
	hint := ""
	switch apiErr, _ := client.AsAPIError(err); {
	case apiErr != nil && apiErr.Code == api.CodeEmailTaken:
		id := email
		if apiErr.Problem.UserID != "" {
			id = apiErr.Problem.UserID
		}
		hint = fmt.Sprintf("This email is already a user of the portal. To manage that user here instead, adopt it with an import block "+
			"(use this resource's address), then plan again:\n\nimport {\n  to = portal_partner_user.<name>\n  id = %q\n}\n", id)
	case apiErr != nil && apiErr.Code == api.CodeUserDeleted:
		hint = "This email belongs to a removed account. Set restore_if_deleted = true on this resource to restore that account " +
			"with its history and update it to this configuration."
	}
	return addAPIError(diags, "Unable to create partner user", "creating user "+email, err, defaultAttribute(path.Root("email")), withHint(hint))
}

// checkPlannedChange fails the plan, on the attribute in question, for an
// access end that has passed (when set or changed: an end that passed since
// is the user's expiry, not a change), and for a change to a user who holds
// a role ranked at or above the API token's.
func (r *userResource) checkPlannedChange(ctx context.Context, creating bool, plan, state userModel, diags *diag.Diagnostics) {
	checkAccessEnd(plan.AccessExpiresAt, state.AccessExpiresAt, creating, path.Root("access_expires_at"), diags)
	if creating && !plan.PartnerID.IsUnknown() {
		r.data.checkUserAdmin(ctx, plan.PartnerID.ValueString(), "create users", path.Root("partner_id"), diags)
	}
	if creating || !plan.PartnerID.Equal(state.PartnerID) || state.Roles.IsNull() || state.Roles.IsUnknown() {
		return // a new user, or a replacement: nobody's rank to check yet
	}
	for _, c := range []struct {
		attr        string
		plan, prior attr.Value
	}{
		{"email", plan.Email, state.Email}, {"first_name", plan.FirstName, state.FirstName}, {"last_name", plan.LastName, state.LastName},
		{"phone", plan.Phone, state.Phone}, {"roles", plan.Roles, state.Roles}, {"access_expires_at", plan.AccessExpiresAt, state.AccessExpiresAt},
	} {
		if !c.plan.Equal(c.prior) {
			roles, d := setStrings(ctx, state.Roles)
			diags.Append(d...)
			r.data.checkTargetRank(ctx, state, roles, path.Root(c.attr), diags)
			return
		}
	}
}

// noteRawRoles is noteAuthoritativeRoles for a planned object and its
// configuration read as they are.
func (r *userResource) noteRawRoles(plan, config tftypes.Value, diags *diag.Diagnostics) {
	var attrs map[string]tftypes.Value
	var id string
	if !rolesConfigured(config) || plan.As(&attrs) != nil || attrs["id"].As(&id) != nil {
		return
	}
	r.data.noteAuthoritativeRoles(id, path.Root("roles"), diags)
}

// rolesConfigured reports whether a configuration sets roles, which makes
// them authoritative; without roles, the user's roles are only read.
func rolesConfigured(config tftypes.Value) bool {
	var attrs map[string]tftypes.Value
	return config.As(&attrs) == nil && !attrs["roles"].IsNull()
}

// sameUser reports whether two models hold the same values.
func sameUser(a, b userModel) bool {
	return sameUserSettings(a, b) && a.ID.Equal(b.ID) && a.Status.Equal(b.Status) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.LastActivityAt.Equal(b.LastActivityAt) && a.Permissions.Equal(b.Permissions)
}

// sameUserSettings reports whether the plan changes nothing the user configures.
func sameUserSettings(plan, state userModel) bool {
	return plan.PartnerID.Equal(state.PartnerID) && plan.Email.Equal(state.Email) && plan.FirstName.Equal(state.FirstName) &&
		plan.LastName.Equal(state.LastName) && plan.Phone.Equal(state.Phone) && plan.Roles.Equal(state.Roles) &&
		plan.AccessExpiresAt.Equal(state.AccessExpiresAt) && plan.RestoreIfDeleted.Equal(state.RestoreIfDeleted)
}

// parseUserImportID splits "[PARTNER_ID/]USER_ID_OR_EMAIL".
func parseUserImportID(id string) (partnerID, ref string, err error) {
	id = strings.TrimSpace(id)
	parts := strings.Split(id, "/")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return "", parts[0], nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("import id %q must be a user id (usr_...), an email, or PARTNER_ID/USER_ID_OR_EMAIL", id)
}

// saveUser writes the API's user into state over prior, keeping what the
// configuration says where it means the same (email case, the same instant
// written another way), and the version for If-Match.
func (r *userResource) saveUser(ctx context.Context, prior userModel, u *api.User, state stateSetter, private privateSetter) diag.Diagnostics {
	m, diags := userModelFromAPI(ctx, prior, u)
	m.Permissions = r.data.permissionsOf(ctx, u.PartnerID, u.Roles, prior.Permissions, &diags)
	return saveState(ctx, m, diags, u.Version, state, private)
}

func userModelFromAPI(ctx context.Context, prior userModel, u *api.User) (userModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	m := prior
	m.ID = types.StringValue(u.ID)
	m.PartnerID = types.StringValue(u.PartnerID)
	if !equalFoldValues(prior.Email, types.StringValue(u.Email)) || prior.Email.IsNull() || prior.Email.IsUnknown() {
		m.Email = types.StringValue(u.Email)
	}
	m.FirstName = types.StringValue(u.FirstName)
	m.LastName = types.StringValue(u.LastName)
	m.Phone = phoneValue(prior.Phone, u.Phone)
	roles, d := stringSet(ctx, u.Roles)
	diags.Append(d...)
	m.Roles = roles
	m.AccessExpiresAt = keepInstant(prior.AccessExpiresAt, u.AccessExpiresAt)
	if m.RestoreIfDeleted.IsNull() || m.RestoreIfDeleted.IsUnknown() {
		m.RestoreIfDeleted = types.BoolValue(false)
	}
	m.Status = types.StringValue(u.Status)
	m.CreatedAt = timeValue(u.CreatedAt)
	m.LastActivityAt = timeString(u.LastActivityAt)
	return m, diags
}

// phoneValue is the user's phone in state: null when the portal has none
// (so that a configuration generated from state leaves it out), unless the
// configuration, in prior, says "" for that.
func phoneValue(prior types.String, phone *string) types.String {
	if phone == nil && !prior.IsUnknown() && !prior.IsNull() && prior.ValueString() == "" {
		return prior
	}
	return types.StringPointerValue(phone)
}

func userCreateFromModel(ctx context.Context, m userModel) (api.UserCreate, diag.Diagnostics) {
	roles, diags := setStrings(ctx, m.Roles)
	c := api.UserCreate{
		Email:     m.Email.ValueString(),
		FirstName: m.FirstName.ValueString(),
		LastName:  m.LastName.ValueString(),
		Phone:     m.Phone.ValueString(),
		Roles:     roles,
	}
	if t, ok := parseInstant(m.AccessExpiresAt); ok {
		c.AccessExpiresAt = &t
	}
	return c, diags
}

// userUpdateFromModel builds the PATCH that makes the user match the plan,
// with only what differs from state (with no state, as after a restore,
// everything known). Unknown values (not in the configuration) are left out.
func userUpdateFromModel(ctx context.Context, m userModel, state *userModel) (api.UserUpdate, diag.Diagnostics) {
	var diags diag.Diagnostics
	var u api.UserUpdate
	var prior userModel
	if state != nil {
		prior = *state
	}
	changed := func(plan, prior attr.Value) bool {
		return !plan.IsNull() && !plan.IsUnknown() && (state == nil || !plan.Equal(prior))
	}
	text := func(plan, prior types.String) *string {
		if !changed(plan, prior) {
			return nil
		}
		s := plan.ValueString()
		return &s
	}
	u.Email, u.FirstName, u.LastName, u.Phone = text(m.Email, prior.Email), text(m.FirstName, prior.FirstName),
		text(m.LastName, prior.LastName), text(m.Phone, prior.Phone)
	if u.Phone != nil && *u.Phone == "" && state != nil && state.Phone.IsNull() {
		u.Phone = nil // no phone either way: nothing to send
	}
	if changed(m.Roles, prior.Roles) {
		roles, d := setStrings(ctx, m.Roles)
		diags.Append(d...)
		u.Roles = &roles
	}
	if t, ok := parseInstant(m.AccessExpiresAt); ok && changed(m.AccessExpiresAt, prior.AccessExpiresAt) {
		u.AccessExpiresAt = &t
	} else if m.AccessExpiresAt.IsNull() && (state == nil || !state.AccessExpiresAt.IsNull()) {
		u.ClearAccessExpiry = true
	}
	return u, diags
}
