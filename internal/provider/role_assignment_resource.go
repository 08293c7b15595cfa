package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = &roleAssignmentResource{}
	_ resource.ResourceWithImportState = &roleAssignmentResource{}
	_ resource.ResourceWithModifyPlan  = &roleAssignmentResource{}
	_ resource.ResourceWithIdentity    = &roleAssignmentResource{}
)

func newRoleAssignmentResource() resource.Resource {
	return &roleAssignmentResource{resourceBase{typeName: "role_assignment"}}
}

// roleAssignmentResource is portal_role_assignment: one role granted to one
// user, added to whatever other roles the user holds.
type roleAssignmentResource struct{ resourceBase }

type roleAssignmentModel struct {
	ID        types.String `tfsdk:"id"`
	PartnerID types.String `tfsdk:"partner_id"`
	UserID    types.String `tfsdk:"user_id"`
	Role      types.String `tfsdk:"role"`
	GrantedAt types.String `tfsdk:"granted_at"`
	GrantedBy types.String `tfsdk:"granted_by"`
}

// assignmentIdentity is portal_role_assignment's identity.
var assignmentIdentity = newIdentity(partnerIdentity, identityAttr{name: "user_id", description: "The id of the user holding the role, such as `usr_0123abcd`."},
	identityAttr{name: "role", description: "The key of the role granted, such as `manager`."})

func (r *roleAssignmentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "One role granted to one user of a partner. It is additive: the user's other roles are left alone. " +
			"A grant revoked in the portal by hand shows as drift and apply grants it again; destroying it revokes the role. " +
			"Do not combine it with `roles` on a `portal_partner_user` of the same user: that list is authoritative and the two would undo each other.",
		Attributes: map[string]schema.Attribute{
			"id":         setOnCreate("`USER_ID/ROLE`, such as `usr_0123abcd/member`."),
			"partner_id": partnerIDArgument("the user belongs to", "grant"),
			"user_id": schema.StringAttribute{
				Required:      true,
				Description:   "The id of the user who gets the role, such as `usr_0123abcd`. The user may still be `invited`. Changing it replaces the grant.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"role": schema.StringAttribute{
				Required: true,
				Description: "The key of the role granted: built-in (`owner`, `admin`, `manager`, `member`, `read_only`) or custom. " +
					"A role the partner does not have, or above what the API token may grant, fails at plan time. Changing it replaces the grant.",
				Validators:    []validator.String{validRoleKey()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"granted_at": setOnCreate("When the role was granted (RFC 3339)."),
			"granted_by": setOnCreate("The id of the actor who granted the role: a user id, or an operator token's id."),
		},
	}
}

func (r *roleAssignmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	assignmentIdentity.schema(resp)
}

// ModifyPlan fills in the default partner and the id, checks a new grant's
// role before anything is sent (unknown role, role above the token's
// ceiling), and notes the grant so that a user whose roles are also set by
// portal_partner_user.roles gets a warning.
func (r *roleAssignmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	creating := req.State.Raw.IsNull()
	var plan, state roleAssignmentModel
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if !req.Plan.Raw.IsNull() {
		resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !creating && (req.Plan.Raw.IsNull() || assignmentReplaced(plan, state)) {
		// A destroy, or a replacement, revokes the grant in state: the
		// removal guard counts its user.
		r.data.guardRemovals(ctx, state.PartnerID.ValueString(), []string{state.UserID.ValueString()}, &resp.Diagnostics)
	}
	if req.Plan.Raw.IsNull() {
		return
	}
	userKnown := !plan.UserID.IsNull() && !plan.UserID.IsUnknown()
	roleKnown := !plan.Role.IsNull() && !plan.Role.IsUnknown()
	if creating && plan.PartnerID.IsUnknown() {
		if !r.data.planPartner(ctx, &plan.PartnerID, "role assignment", &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("partner_id"), plan.PartnerID)...)
	}
	if creating && plan.ID.IsUnknown() && userKnown && roleKnown {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), assignmentID(plan.UserID.ValueString(), plan.Role.ValueString()))...)
	}
	if userKnown {
		r.data.noteAssignment(plan.UserID.ValueString(), plan.Role.ValueString(), path.Root("role"), &resp.Diagnostics)
		if creating && !plan.PartnerID.IsUnknown() {
			r.data.noteAssignmentToNewUser(ctx, plan.PartnerID.ValueString(), plan.UserID.ValueString(), path.Root("role"), &resp.Diagnostics)
		}
	}
	// The role is checked even while user_id is unknown (a user created in
	// the same apply): the check depends only on the partner and the token.
	if creating && !plan.PartnerID.IsUnknown() && !plan.PartnerID.IsNull() && roleKnown {
		r.data.checkRoleChange(ctx, plan.PartnerID.ValueString(), path.Root("role"), nil, []string{plan.Role.ValueString()}, &resp.Diagnostics)
	}
}

func (r *roleAssignmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan roleAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, userID, role := plan.PartnerID.ValueString(), plan.UserID.ValueString(), plan.Role.ValueString()
	g, err := throughRefusal(&r.data.auth, func() (*api.Grant, error) { return r.data.client.Grants.Grant(ctx, pid, userID, role) })
	r.data.users.changed(pid, userID)
	if r.addGrantError(ctx, &resp.Diagnostics, pid, userID, role, err) {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, assignmentModelFromAPI(pid, g))...)
	resp.Diagnostics.Append(assignmentIdentity.set(resp.Identity, resp.State.Raw)...)
}

// Read drops the grant from state when it is gone: the role was revoked
// outside Terraform, or the user was removed. The plan then grants it again.
func (r *roleAssignmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state roleAssignmentModel
	resp.Diagnostics.Append(assignmentIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, userID, role := state.PartnerID.ValueString(), state.UserID.ValueString(), state.Role.ValueString()
	// The user, with its roles, comes from the run's shared read of the
	// partner's users: refreshing many grants costs a list, not a GET each.
	u, err := r.data.users.get(ctx, r.data.client, pid, userID)
	if errors.Is(err, client.ErrNotFound) || (err == nil && (u.Status == api.UserDeleted || !slices.Contains(u.Roles, role))) {
		if err == nil && u.Status != api.UserDeleted && !state.GrantedAt.IsNull() {
			r.data.warnDrift(ctx, pid, userID, u.Email, fmt.Sprintf("The grant of role %q to user %s (%s)", role, userID, u.Email),
				[]drift{{attr: "roles", was: "includes " + role, is: "without it"}}, &resp.Diagnostics)
		}
		resp.State.RemoveResource(ctx) // the user is gone or removed, or the grant was revoked outside Terraform
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to read role assignment", "user "+userID+" of partner "+pid, err) {
		return
	}
	if !state.GrantedAt.IsNull() && !state.GrantedAt.IsUnknown() {
		return // held, and when and by whom it was granted does not change
	}
	// An import: fill in granted_at and granted_by.
	list, err := throughRefusal(&r.data.auth, func() (*api.GrantList, error) { return r.data.client.Grants.List(ctx, pid, userID) })
	if addAPIError(&resp.Diagnostics, "Unable to read role assignment", fmt.Sprintf("roles of user %s of partner %s", userID, pid), err) {
		return
	}
	g := findGrant(list, role)
	if g == nil {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, assignmentModelFromAPI(pid, g))...)
}

// Update is never called: every argument requires replacement.
func (r *roleAssignmentResource) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("Update not supported",
		"A role assignment is never updated in place: changing partner_id, user_id or role replaces it. This is a bug in the provider.")
}

func (r *roleAssignmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state roleAssignmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, userID, role := state.PartnerID.ValueString(), state.UserID.ValueString(), state.Role.ValueString()
	err := r.data.auth.do(func() error { return r.data.client.Grants.Revoke(ctx, pid, userID, role) })
	r.data.users.changed(pid, userID)
	if client.IsCode(err, api.CodeUserDeleted) || errors.Is(err, client.ErrNotFound) {
		return // the user was removed, and with it all access, or the grant is already gone
	}
	addAPIError(&resp.Diagnostics, "Unable to revoke role", fmt.Sprintf("revoking role %q from user %s of partner %s", role, userID, pid), err)
}

// ImportState adopts a grant the user holds: "USER_ID/ROLE", or
// "PARTNER_ID/USER_ID/ROLE" for a partner other than the default; or by
// identity, { partner_id (optional), user_id, role }.
func (r *roleAssignmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, d := assignmentIdentity.imported(req, func(id string) ([]string, error) {
		partnerID, userID, role, err := parseAssignmentImportID(id)
		return []string{partnerID, userID, role}, err
	})
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	userID, role := v[1], v[2]
	partnerID, ok := r.data.importPartner(ctx, v[0], "PARTNER_ID/USER_ID/ROLE", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), assignmentID(userID, role))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("partner_id"), partnerID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("user_id"), userID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("role"), role)...)
	resp.Diagnostics.Append(assignmentIdentity.set(resp.Identity, resp.State.Raw)...)
}

// addGrantError explains a failed grant, and reports whether there was
// one: a removed user, a user or role that does not exist, or the server's
// answer as it is.
func (r *roleAssignmentResource) addGrantError(ctx context.Context, diags *diag.Diagnostics, partnerID, userID, role string, err error) bool {
	const summary = "Unable to grant role"
	object := fmt.Sprintf("granting role %q to user %s of partner %s", role, userID, partnerID)
	switch {
	case client.IsCode(err, api.CodeUserDeleted):
		return addAPIError(diags, summary, object, err, defaultAttribute(path.Root("user_id")), withHint(fmt.Sprintf(
			"User %s was removed from partner %s, so it cannot be granted roles. Restore the account first (for example with "+
				"restore_if_deleted = true on its portal_partner_user), or remove this role assignment.", userID, partnerID)))
	case errors.Is(err, client.ErrNotFound):
		// The same 404 answers a missing user and a missing role: ask which.
		if _, uerr := r.data.client.Users.Get(ctx, partnerID, userID); errors.Is(uerr, client.ErrNotFound) {
			return addAPIError(diags, summary, object, err, defaultAttribute(path.Root("user_id")), withHint(fmt.Sprintf(
				"Partner %s has no user %s. Check user_id, and the partner_id the grant is made in.", partnerID, userID)))
		}
		return addAPIError(diags, summary, object, err, defaultAttribute(path.Root("role")), withHint(fmt.Sprintf("Partner %s has no role %q.", partnerID, role)))
	case client.IsCode(err, api.CodeRoleAboveCeiling):
		return addAPIError(diags, summary, object, err, defaultAttribute(path.Root("role")))
	}
	return addAPIError(diags, summary, object, err)
}

// parseAssignmentImportID splits "[PARTNER_ID/]USER_ID/ROLE".
func parseAssignmentImportID(id string) (partnerID, userID, role string, err error) {
	parts := strings.Split(strings.TrimSpace(id), "/")
	if slices.Contains(parts, "") {
		parts = nil
	}
	switch len(parts) {
	case 2:
		return "", parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", fmt.Errorf("import id %q must be USER_ID/ROLE (such as usr_0123abcd/member) or PARTNER_ID/USER_ID/ROLE", id)
}

// assignmentReplaced reports whether a plan replaces the grant in state:
// every argument requires replacement.
func assignmentReplaced(plan, state roleAssignmentModel) bool {
	return !plan.UserID.Equal(state.UserID) || !plan.Role.Equal(state.Role) ||
		(!plan.PartnerID.IsUnknown() && !plan.PartnerID.Equal(state.PartnerID))
}

func assignmentID(userID, role string) string { return userID + "/" + role }

func findGrant(list *api.GrantList, role string) *api.Grant {
	for i := range list.Grants {
		if list.Grants[i].Role == role {
			return &list.Grants[i]
		}
	}
	return nil
}

func assignmentModelFromAPI(partnerID string, g *api.Grant) roleAssignmentModel {
	return roleAssignmentModel{
		ID:        types.StringValue(assignmentID(g.UserID, g.Role)),
		PartnerID: types.StringValue(partnerID),
		UserID:    types.StringValue(g.UserID),
		Role:      types.StringValue(g.Role),
		GrantedAt: timeValue(g.GrantedAt),
		GrantedBy: types.StringValue(g.GrantedBy),
	}
}
