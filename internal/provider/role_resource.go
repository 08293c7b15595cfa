package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ resource.ResourceWithConfigure      = &roleResource{}
	_ resource.ResourceWithImportState    = &roleResource{}
	_ resource.ResourceWithModifyPlan     = &roleResource{}
	_ resource.ResourceWithValidateConfig = &roleResource{}
	_ resource.ResourceWithIdentity       = &roleResource{}
)

func newRoleResource() resource.Resource { return &roleResource{resourceBase{typeName: "role"}} }

// roleResource is portal_role: a custom role of a partner.
type roleResource struct{ resourceBase }

type roleModel struct {
	ID          types.String `tfsdk:"id"`
	PartnerID   types.String `tfsdk:"partner_id"`
	Key         types.String `tfsdk:"key"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	Rank        types.Int64  `tfsdk:"rank"`
	Permissions types.Set    `tfsdk:"permissions"`
	CreatedAt   types.String `tfsdk:"created_at"`
	UpdatedAt   types.String `tfsdk:"updated_at"`
}

// roleIdentity is portal_role's identity.
var roleIdentity = newIdentity(partnerIdentity, identityAttr{name: "key", description: "The role's key, such as `billing`."})

func (r *roleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A custom role of a partner: a named set of permissions with a rank, to grant with `portal_partner_user.roles` or " +
			"`portal_role_assignment` when no built-in role fits the minimum-permission rule. The API token must rank above the role and " +
			"hold every permission it gives. A role still held by users cannot be destroyed: revoke it from them first.",
		Attributes: map[string]schema.Attribute{
			"id":         setOnCreate("The role's key, which identifies it within its partner."),
			"partner_id": partnerIDArgument("the role belongs to", "role"),
			"key": schema.StringAttribute{
				Required: true,
				Description: "The role's key, used to grant it: 2 to 32 lower-case letters, digits or underscores, starting with a letter, such as `billing`. " +
					"It cannot be the key of a built-in role (`owner`, `admin`, `manager`, `member`, `read_only`). Changing it replaces the role, " +
					"and the portal deletes the old role only once nobody holds it: for a role that users hold, add " +
					"`lifecycle { create_before_destroy = true }` and grant it by reference (`portal_role.<name>.key`), so that the users move " +
					"to the new key before the old role is deleted; or move the users to another role first.",
				Validators:    []validator.String{validRoleKey(), notBuiltinRole()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				Required:    true,
				Description: "The role's display name, 1 to 100 characters, such as `Billing`.",
				Validators:  []validator.String{stringvalidator.LengthBetween(1, 100), validText()},
			},
			"description": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString(""),
				Description: "What the role is for. Default `\"\"`.",
				Validators:  []validator.String{validText()},
			},
			"rank": schema.Int64Attribute{
				Required: true,
				Description: "The role's rank, from 1 to 99, which orders it among the built-in roles (owner 100, admin 80, manager 60, member 40, read_only 20): " +
					"who may grant it and whom its holders may change. It must be below the rank of the API token's role. Changed in place.",
				Validators: []validator.Int64{int64validator.Between(1, 99)},
			},
			"permissions": schema.SetAttribute{
				ElementType: types.StringType,
				Required:    true,
				Description: "What the role's holders may do, any of: " + strings.Join(backquoteAll(api.AllPermissions), ", ") + ". " +
					"An edit permission (`*.manage` or `*.write`) needs its read permission in the set too: `users.manage` with `users.read`, " +
					"`data.write` with `data.read`, `partner.manage` with `partner.read`, `roles.manage` with `roles.read`. " +
					"The API token's role must hold each of them. Changed in place.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.OneOf(api.AllPermissions...))},
			},
			"created_at": setOnCreate("When the role was created (RFC 3339)."),
			"updated_at": computedByPortal("When the role was last changed (RFC 3339)."),
		},
	}
}

func (r *roleResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	roleIdentity.schema(resp)
}

// ValidateConfig refuses an edit permission without its read permission.
func (r *roleResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var perms types.Set
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("permissions"), &perms)...)
	if resp.Diagnostics.HasError() || perms.IsNull() || perms.IsUnknown() {
		return
	}
	var elems []types.String
	resp.Diagnostics.Append(perms.ElementsAs(ctx, &elems, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	have := map[string]bool{}
	for _, e := range elems {
		if e.IsUnknown() {
			return // not known until apply: the server checks it
		}
		have[e.ValueString()] = true
	}
	for _, p := range slices.Sorted(maps.Keys(have)) {
		if read := api.ImpliedRead(p); read != "" && !have[read] {
			resp.Diagnostics.AddAttributeError(path.Root("permissions"), "Edit permission without its read permission",
				fmt.Sprintf("%s requires %s: an edit permission implies its read permission. Add %q to permissions.", p, read, read))
		}
	}
}

// ModifyPlan fills in the default partner and the id, and checks before
// anything is sent what the server would refuse: a rank not below the API
// token's, and permissions the token's role does not hold. A planned role is
// noted for the plan-time role checks of portal_partner_user.
func (r *roleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	creating := req.State.Raw.IsNull()
	var plan, state roleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// A new key or partner replaces the role with a new one, whose id and
	// times are not the old one's (Terraform plans the create half again
	// without state; this keeps the first plan right too).
	replacing := !creating && (!plan.Key.Equal(state.Key) || !plan.PartnerID.Equal(state.PartnerID))
	fresh := creating || replacing
	if fresh {
		if !r.data.planPartner(ctx, &plan.PartnerID, "role", &resp.Diagnostics) {
			return
		}
		plan.ID = plan.Key // unknown while the key is
		plan.CreatedAt, plan.UpdatedAt = types.StringUnknown(), types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if !fresh && sameRoleSettings(plan, state) {
		return
	}
	me, err := r.data.whoAmI(ctx)
	if addAPIError(&resp.Diagnostics, "Unable to check the role", "reading GET /v1/me for the API token's role", err) {
		return
	}
	holder := tokenRoleLabel(me)
	if !creating && state.Rank.ValueInt64() >= int64(me.Rank) {
		resp.Diagnostics.AddAttributeError(path.Root("rank"), "Role ranks too high for this API token",
			fmt.Sprintf("Role %q has rank %d, which is not below the rank of %s (%d), so this token cannot change it. Use a token of a higher role.",
				state.Key.ValueString(), state.Rank.ValueInt64(), holder, me.Rank))
	}
	if rank := plan.Rank; !rank.IsUnknown() && !rank.IsNull() && (fresh || !rank.Equal(state.Rank)) && rank.ValueInt64() >= int64(me.Rank) {
		resp.Diagnostics.AddAttributeError(path.Root("rank"), "Rank not below the API token's",
			fmt.Sprintf("rank %d is not below the rank of %s (%d). A custom role ranks below the role of the token that creates or changes it: "+
				"choose a lower rank, or use a token of a higher role.", rank.ValueInt64(), holder, me.Rank))
	}
	if !plan.Permissions.IsUnknown() && (fresh || !plan.Permissions.Equal(state.Permissions)) {
		perms, d := setStrings(ctx, plan.Permissions)
		resp.Diagnostics.Append(d...)
		var lacking []string
		for _, p := range perms {
			if slices.Contains(api.AllPermissions, p) && !slices.Contains(me.Permissions, p) {
				lacking = append(lacking, p)
			}
		}
		if len(lacking) > 0 {
			resp.Diagnostics.AddAttributeError(path.Root("permissions"), "Permission the API token's role does not hold",
				fmt.Sprintf("%s does not hold %s, so cannot give it to a role. Leave it out, or use a token whose role holds it.",
					capitalize(holder), strings.Join(lacking, ", ")))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.data.notePlannedRole(ctx, plan)...)
}

func (r *roleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan roleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	body, d := roleCreateFromModel(ctx, plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid := plan.PartnerID.ValueString()
	ro, err := r.data.client.Roles.Create(ctx, pid, body)
	r.data.forgetRoles(pid)
	hint := ""
	if client.IsCode(err, api.CodeRoleExists) {
		hint = fmt.Sprintf("The partner already has a role with this key. To manage it here instead, adopt it with an import block "+
			"(use this resource's address), then plan again:\n\nimport {\n  to = portal_role.<name>\n  id = %q\n}\n", pid+"/"+body.Key)
	}
	if addAPIError(&resp.Diagnostics, "Unable to create role", "creating role "+body.Key+" in partner "+pid, err, defaultAttribute(path.Root("key")), withHint(hint)) {
		return
	}
	resp.Diagnostics.Append(saveRole(ctx, ro, &resp.State, resp.Private)...)
	resp.Diagnostics.Append(roleIdentity.set(resp.Identity, resp.State.Raw)...)
}

func (r *roleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state roleModel
	resp.Diagnostics.Append(roleIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, key := state.PartnerID.ValueString(), state.Key.ValueString()
	ro, err := throughRefusal(&r.data.auth, func() (*api.Role, error) { return r.data.client.Roles.Get(ctx, pid, key) })
	if errors.Is(err, client.ErrNotFound) {
		resp.State.RemoveResource(ctx) // deleted outside Terraform: plan creates it again
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to read role", "role "+key+" of partner "+pid, err) {
		return
	}
	if ro.BuiltIn {
		resp.Diagnostics.AddError("Built-in role", fmt.Sprintf("%q is a built-in role of the portal, which cannot be managed as portal_role. "+
			"Grant it by its key; only custom roles are imported.", key))
		return
	}
	resp.Diagnostics.Append(saveRole(ctx, ro, &resp.State, resp.Private)...)
}

func (r *roleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state roleModel
	resp.Diagnostics.Append(roleIdentity.set(resp.Identity, req.State.Raw)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	upd, d := roleUpdateFromModel(ctx, plan, state)
	resp.Diagnostics.Append(d...)
	version, d := privateVersion(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, key := state.PartnerID.ValueString(), state.Key.ValueString()
	ro, err := r.data.client.Roles.Update(ctx, pid, key, upd, version)
	r.data.forgetRoles(pid)
	if errors.Is(err, client.ErrPreconditionFailed) {
		addAPIError(&resp.Diagnostics, "Role changed since it was read", "role "+key+" of partner "+pid, err, withHint(changedSinceRead("role")))
		return
	}
	if addAPIError(&resp.Diagnostics, "Unable to update role", "role "+key+" of partner "+pid, err) {
		return
	}
	resp.Diagnostics.Append(saveRole(ctx, ro, &resp.State, resp.Private)...)
}

func (r *roleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state roleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, key := state.PartnerID.ValueString(), state.Key.ValueString()
	err := r.data.client.Roles.Delete(ctx, pid, key, 0)
	r.data.forgetRoles(pid)
	if errors.Is(err, client.ErrNotFound) {
		return
	}
	if client.IsCode(err, api.CodeRoleInUse) {
		addAPIError(&resp.Diagnostics, "Role still in use", "role "+key+" of partner "+pid, err, withHint(
			"The role is still held by users, and a role is deleted only once nobody holds it: revoke it from them first "+
				"(remove it from their portal_partner_user roles, or destroy the portal_role_assignment that grants it), then destroy the role."+
				r.holders(ctx, pid, key)), withHint(roleInUseOnReplace))
		return
	}
	addAPIError(&resp.Diagnostics, "Unable to delete role", "role "+key+" of partner "+pid, err)
}

// ImportState adopts an existing custom role by key, or "PARTNER_ID/KEY",
// or by identity, { partner_id (optional), key }.
func (r *roleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, d := roleIdentity.imported(req, func(id string) ([]string, error) {
		partnerID, key, err := parseRoleImportID(id)
		return []string{partnerID, key}, err
	})
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	key := v[1]
	if _, builtin := api.Builtin(key); builtin {
		resp.Diagnostics.AddError("Built-in role", fmt.Sprintf("%q is a built-in role of the portal, which cannot be managed as portal_role. "+
			"Grant it by its key; only custom roles are imported.", key))
		return
	}
	partnerID, ok := r.data.importPartner(ctx, v[0], "PARTNER_ID/KEY", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), key)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("key"), key)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("partner_id"), partnerID)...)
	resp.Diagnostics.Append(roleIdentity.set(resp.Identity, resp.State.Raw)...)
}

// sameRoleSettings reports whether the plan changes nothing the role configures.
func sameRoleSettings(plan, state roleModel) bool {
	return plan.PartnerID.Equal(state.PartnerID) && plan.Key.Equal(state.Key) && plan.Name.Equal(state.Name) &&
		plan.Description.Equal(state.Description) && plan.Rank.Equal(state.Rank) && plan.Permissions.Equal(state.Permissions)
}

// roleInUseOnReplace is the role_in_use hint for a delete that is the first
// half of a replacement: Delete cannot tell, and Terraform deletes before it
// creates unless told otherwise.
const roleInUseOnReplace = "If this delete is part of replacing the role (a new key or partner_id replaces it, and Terraform deletes " +
	"the old role before it creates the new one), either add lifecycle { create_before_destroy = true } to this portal_role, so that " +
	"the new role is created, and the users who get their role from this portal_role's key move to it, before the old role is deleted; " +
	"or first move the users to another role in an apply of its own, then change the key."

// holders names the users holding a role, for the role_in_use message;
// "" when they cannot be listed.
func (r *roleResource) holders(ctx context.Context, partnerID, key string) string {
	users, err := r.data.client.Users.ListAll(ctx, partnerID, api.UserListOptions{Role: key, IncludeDeleted: true})
	if err != nil || len(users) == 0 {
		return ""
	}
	names := make([]string, 0, len(users))
	for i, u := range users {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(users)-10))
			break
		}
		name := u.Email + " (" + u.ID + ")"
		if u.Status == api.UserDeleted {
			name += ", a removed user who still holds it"
		}
		names = append(names, name)
	}
	return "\n\nHeld by: " + strings.Join(names, "; ") + "."
}

// parseRoleImportID splits "[PARTNER_ID/]KEY".
func parseRoleImportID(id string) (partnerID, key string, err error) {
	id = strings.TrimSpace(id)
	parts := strings.Split(id, "/")
	switch {
	case len(parts) == 1 && api.ValidRoleKey(parts[0]):
		return "", parts[0], nil
	case len(parts) == 2 && parts[0] != "" && api.ValidRoleKey(parts[1]):
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("import id %q must be a role key, such as billing, or PARTNER_ID/KEY", id)
}

// saveRole writes the API's role into state, and its version for If-Match.
func saveRole(ctx context.Context, ro *api.Role, state stateSetter, private privateSetter) diag.Diagnostics {
	m, diags := roleModelFromAPI(ctx, ro)
	return saveState(ctx, m, diags, ro.Version, state, private)
}

func roleModelFromAPI(ctx context.Context, ro *api.Role) (roleModel, diag.Diagnostics) {
	perms, diags := types.SetValueFrom(ctx, types.StringType, ro.Permissions)
	return roleModel{
		ID:          types.StringValue(ro.Key),
		PartnerID:   types.StringValue(ro.PartnerID),
		Key:         types.StringValue(ro.Key),
		Name:        types.StringValue(ro.Name),
		Description: types.StringValue(ro.Description),
		Rank:        types.Int64Value(int64(ro.Rank)),
		Permissions: perms,
		CreatedAt:   timeValue(ro.CreatedAt),
		UpdatedAt:   timeValue(ro.UpdatedAt),
	}, diags
}

func roleCreateFromModel(ctx context.Context, m roleModel) (api.RoleCreate, diag.Diagnostics) {
	perms, diags := setStrings(ctx, m.Permissions)
	return api.RoleCreate{
		Key:         m.Key.ValueString(),
		Name:        m.Name.ValueString(),
		Description: m.Description.ValueString(),
		Rank:        int(m.Rank.ValueInt64()),
		Permissions: perms,
	}, diags
}

// roleUpdateFromModel builds the PATCH that makes the role match the plan,
// with only what changed: the server checks the permissions it is sent
// against the token's, so unchanged ones are left out.
func roleUpdateFromModel(ctx context.Context, plan, state roleModel) (api.RoleUpdate, diag.Diagnostics) {
	var diags diag.Diagnostics
	var u api.RoleUpdate
	if !plan.Name.Equal(state.Name) {
		s := plan.Name.ValueString()
		u.Name = &s
	}
	if !plan.Description.Equal(state.Description) {
		s := plan.Description.ValueString()
		u.Description = &s
	}
	if !plan.Rank.Equal(state.Rank) {
		n := int(plan.Rank.ValueInt64())
		u.Rank = &n
	}
	if !plan.Permissions.Equal(state.Permissions) {
		perms, d := setStrings(ctx, plan.Permissions)
		diags.Append(d...)
		u.Permissions = &perms
	}
	return u, diags
}
