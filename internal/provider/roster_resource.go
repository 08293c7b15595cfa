package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var (
	_ resource.ResourceWithConfigure      = &rosterResource{}
	_ resource.ResourceWithImportState    = &rosterResource{}
	_ resource.ResourceWithModifyPlan     = &rosterResource{}
	_ resource.ResourceWithValidateConfig = &rosterResource{}
	_ resource.ResourceWithIdentity       = &rosterResource{}
)

func newRosterResource() resource.Resource {
	return &rosterResource{resourceBase{typeName: "partner_roster"}}
}

// rosterResource is portal_partner_roster: the people of one partner as one
// map keyed by email, read with the partner's one shared listing and
// written with the users batch route (roster_apply.go).
//
// Where a plan of thousands goes (5,000 people, this 2-core machine, 2026):
// a no-op plan takes about 16 s, and the provider's own code is under 1 s
// of it. The framework's plan of a map of nested attributes is quadratic
// (v1.19.0, internal/fwserver/attribute_plan_modification.go, NestingModeMap:
// mapElemObject calls Map.Elements(), a copy of the whole map, once per
// element for the configuration and again for state), 3.1 s at 5,000 and
// growing with the square; NullifyCollectionBlocks and decoding add 3 s.
// Answering a roster's PlanResourceChange whose proposed new state is its
// prior state without the framework (in server.go) measured 9.5 s instead
// of 16 s. The issue to file upstream:
//
//	fwserver: plan modification of a MapNestedAttribute copies the map once per element (quadratic)
type rosterResource struct {
	resourceBase
}

type rosterModel struct {
	ID               types.String `tfsdk:"id"`
	PartnerID        types.String `tfsdk:"partner_id"`
	Exclusive        types.Bool   `tfsdk:"exclusive"`
	RestoreIfDeleted types.Bool   `tfsdk:"restore_if_deleted"`
	Release          types.Set    `tfsdk:"release"`
	Users            types.Map    `tfsdk:"users"`
}

// rosterUserModel is one person of the roster; the key of the map is the email.
type rosterUserModel struct {
	ID              types.String `tfsdk:"id"`
	FirstName       types.String `tfsdk:"first_name"`
	LastName        types.String `tfsdk:"last_name"`
	Phone           types.String `tfsdk:"phone"`
	Roles           types.Set    `tfsdk:"roles"`
	Permissions     types.Set    `tfsdk:"permissions"`
	AccessExpiresAt types.String `tfsdk:"access_expires_at"`
	Status          types.String `tfsdk:"status"`
}

// rosterUserType is the type of one element of users.
var rosterUserType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "first_name": types.StringType, "last_name": types.StringType, "phone": types.StringType,
	"roles": types.SetType{ElemType: types.StringType}, "permissions": types.SetType{ElemType: types.StringType},
	"access_expires_at": types.StringType, "status": types.StringType,
}}

// rosterElementAttributes are the attributes of an element that a server's
// field error can name.
var rosterElementAttributes = []string{"first_name", "last_name", "phone", "roles", "access_expires_at"}

// rosterIdentity is portal_partner_roster's identity: a partner has one roster.
var rosterIdentity = newIdentity(identityAttr{name: "partner_id", description: "The id of the partner whose people the roster holds, such as `prt_0123abcd`."})

func (r *rosterResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	rosterIdentity.schema(resp)
}

func (r *rosterResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The people of one partner, as one resource: a map keyed by email. It is read with one paginated listing of the partner's users " +
			"and written with the portal's users batch route (up to 500 changes a request, a few requests at once), so that a team of thousands " +
			"plans and applies in seconds. Each person's attributes mean what they mean on `portal_partner_user`. " +
			"When some changes fail, the ones that succeeded are kept in state and each failure is reported on its person (`users[\"ana@acme.example\"]`), " +
			"so the next plan shows only what is still to do. Destroying the roster removes every person in it with a soft delete.",
		MarkdownDescription: rosterDocs,
		Attributes: map[string]schema.Attribute{
			"id":         setOnCreate("The roster's id: its partner's id."),
			"partner_id": partnerIDArgument("the people belong to", "roster (removing its people from the old partner)"),
			"exclusive": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				Description: "When `true`, the roster is everyone of the partner: a user of the partner who is not in `users` (such as one added in the portal by hand) " +
					"is read into the roster, so the plan shows them as a removal, and apply removes them. Never the API token's own account, " +
					"nor the partner's only owner. They are read from the refresh after `exclusive` is set, so a plan always shows whom an apply removes. " +
					"When `false` (the default), users not in `users` are left alone.",
			},
			"restore_if_deleted": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				Description: "When an email of `users` belongs to a removed (soft-deleted) account of this partner, restore that account and update it " +
					"to the configuration instead of failing. Default `false`.",
			},
			"release": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true,
				Description: "Emails (logins) the roster lets go of without removing their access. A person taken out of `users` whose login is listed here " +
					"leaves the roster's management and stays in the portal as they are: use it to move people to `portal_partner_user` (with an `import` block, " +
					"in the same apply) or out of Terraform. With `exclusive = true`, a listed login is also never taken in to be removed. " +
					"A login may not be both here and in `users`. Listing a login nobody has changes nothing.",
			},
			"users": schema.MapNestedAttribute{
				Required: true,
				Description: "The people, keyed by email (their login). Keys are compared as the portal compares logins (in any letter case and Unicode form): " +
					"two keys that are the same login are an error. Changing a key (other than in how it is written) removes that person and adds another. " +
					"A person removed in the portal by hand is planned back; a role, name or phone changed by hand shows as that person changing.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":         setOnCreate("The user's id, such as `usr_0123abcd`."),
					"first_name": leftWhenUnset("Given name. Left as the portal has it when not set."),
					"last_name":  leftWhenUnset("Family name. Left as the portal has it when not set."),
					"phone":      leftWhenUnset("Phone number in E.164 form, such as `+14155550123`. `\"\"` clears it. Left as the portal has it when not set."),
					"roles": schema.SetAttribute{
						ElementType: types.StringType,
						Optional:    true,
						Computed:    true,
						Description: "The keys of the roles the person holds, built-in or custom. When set, it is authoritative: a role added or removed in the " +
							"portal by hand shows in the plan and apply puts it back. When not set, the person's roles are left alone (to `portal_role_assignment`, " +
							"say): read into state as the portal has them and never planned as a change; a new person then starts with no role. " +
							"Unknown roles and roles above what the API token may grant fail at plan time.",
						PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
					},
					"permissions": schema.SetAttribute{
						ElementType: types.StringType,
						Computed:    true,
						Description: "What the person may do: the union of the permissions of their `roles`, computed at plan time from the partner's roles, " +
							"as on `portal_partner_user`.",
					},
					"access_expires_at": schema.StringAttribute{
						Optional: true,
						Description: "When the person's access ends, as an RFC 3339 time such as `2027-01-31T18:00:00Z`; in the future when set or changed. " +
							"The same instant written another way is not a change. Not set means access does not end.",
						PlanModifiers: []planmodifier.String{sameInstant},
					},
					"status": schema.StringAttribute{
						Computed:      true,
						Description:   "`invited` (has not set a password yet), `active`, or `expired` (past `access_expires_at`).",
						PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
					},
				}},
			},
		},
	}
}

// rosterDocs is the resource's description in the docs.
const rosterDocs = `The people of one partner, as one resource: a map keyed by email. It is read with one paginated listing of the partner's users ` +
	`(shared with every other resource of the run) and written with the portal's users batch route, up to 500 changes a request and a few requests at once, ` +
	`so that a team of thousands plans and applies in seconds. Each person's attributes mean what they mean on ` + "`portal_partner_user`" + `.

**Drift.** A role, name or phone changed in the portal by hand shows in the plan as that one person changing; every unchanged person stays hidden. ` +
	`A person removed by hand is planned back (with ` + "`restore_if_deleted = true`" + `, their account is restored). With ` + "`exclusive = true`" + `, ` +
	`a person added by hand is planned for removal.

**Partial failure.** When some changes fail (an email another partner holds, say), the others are applied and kept in state, and each failure is an error ` +
	`on its person with the portal's problem code and request id; the next plan shows only what is still to do. ` +
	`If that happens on the roster's first apply, Terraform marks the new roster tainted and would replace it (removing everyone in it first): ` +
	`the provider refuses that plan, and ` + "`terraform untaint`" + ` on the roster brings back a plan of only what is left.

**People who are users already.** A person added to an existing roster who is already a user of the partner is adopted (the plan shows their id) ` +
	`and updated only in what the configuration changes (nothing is sent when it says what the portal has). ` +
	`A new roster does not take in users of the partner: create it with the people who are new (or with ` + "`users = {}`" + `), then add the others. ` +
	`To move people from ` + "`portal_partner_user`" + ` into a roster without removing their access for a moment, add them to a roster that exists ` +
	`and, in the same apply, let go of their ` + "`portal_partner_user`" + ` with a ` + "`removed`" + ` block whose ` + "`lifecycle { destroy = false }`" + `. ` +
	`To move people out of a roster without removing their access, take them out of ` + "`users`" + `, list their emails in ` + "`release`" + `, ` +
	`and import them where they go in the same apply. The guide "One resource per person or a roster" shows both.

**Import** by partner id adopts every user of the partner who is not removed, with their roles, except the API token's own account. ` +
	`Everyone it adopts who is not in ` + "`users`" + ` is then planned for removal: list them all (` + "`-generate-config-out`" + ` writes them), ` +
	`or, to take in only some people, create the roster and add them instead of importing it.

**Destroy** removes every person in it with a soft delete; each account can be restored.

**Removal guard.** The people a plan removes from the roster (taken out of ` + "`users`" + `, the unlisted people an ` + "`exclusive`" + ` roster removes, ` +
	`everyone on destroy, people left with no role) count toward the provider's removal guard with every other resource of the plan: ` +
	`more than ` + "`removal_guard_min`" + ` and ` + "`removal_guard_fraction`" + ` of the partner's users fails the plan (see the provider's settings).

**Drift attributed.** A person changed or removed in the portal by hand gets a plan warning that says what changed and, from the partner's audit trail, ` +
	`who changed it, when and in which request (see the guide "Catching drift in CI").`

// ValidateConfig refuses a key that is not an email, and two keys that are
// the same login written two ways, on the second key; and checks each
// person's attributes with portal_partner_user's validators. It runs them
// itself rather than as the nested attributes' validators so that each
// error names its person: Terraform shows an error of a map element's
// attribute on the resource, not on the element.
func (r *rosterResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var users types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("users"), &users)...)
	if resp.Diagnostics.HasError() || users.IsNull() || users.IsUnknown() {
		return
	}
	resp.Diagnostics.Append(checkRosterKeys(sortedKeys(users.Elements()))...)
	var release types.Set
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("release"), &release)...)
	resp.Diagnostics.Append(checkRelease(release, loginIndex(users.Elements()))...)
	people, d := rosterElements(ctx, users)
	resp.Diagnostics.Append(d...)
	for _, key := range sortedKeys(people) {
		resp.Diagnostics.Append(forPerson(key, func(diags *diag.Diagnostics) { checkPerson(ctx, key, people[key], diags) })...)
	}
}

// rosterChecks are portal_partner_user's validators of each person's attributes.
var rosterChecks = sync.OnceValue(func() map[string]validator.String {
	return map[string]validator.String{"first_name": validText(), "last_name": validText(), "phone": validPhone(),
		"access_expires_at": validRFC3339(), "roles": validRoleKey()}
})

// checkPerson validates one person's configured attributes, each error on
// its attribute.
func checkPerson(ctx context.Context, key string, el rosterUserModel, diags *diag.Diagnostics) {
	at := path.Root("users").AtMapKey(key)
	check := func(name string, p path.Path, v types.String) {
		var resp validator.StringResponse
		rosterChecks()[name].ValidateString(ctx, validator.StringRequest{Path: p, ConfigValue: v}, &resp)
		diags.Append(resp.Diagnostics...)
	}
	check("first_name", at.AtName("first_name"), el.FirstName)
	check("last_name", at.AtName("last_name"), el.LastName)
	check("phone", at.AtName("phone"), el.Phone)
	check("access_expires_at", at.AtName("access_expires_at"), el.AccessExpiresAt)
	if el.Roles.IsNull() || el.Roles.IsUnknown() {
		return
	}
	for _, v := range el.Roles.Elements() {
		if s, ok := v.(types.String); ok {
			check("roles", at.AtName("roles").AtSetValue(s), s)
		}
	}
}

// checkRosterKeys is ValidateConfig's check of the keys of users, sorted.
func checkRosterKeys(keys []string) diag.Diagnostics {
	var diags diag.Diagnostics
	email, _ := validEmail().(stringCheck)
	seen := map[string]string{}
	for _, k := range keys {
		at := path.Root("users").AtMapKey(k)
		if msg := email.check(k); msg != "" {
			diags.AddAttributeError(at, "Invalid email address", msg+" Each key of users is a person's email.")
			continue
		}
		n := api.NormalizeEmail(k)
		if first, dup := seen[n]; dup {
			diags.AddAttributeError(at, "Person listed twice",
				fmt.Sprintf("%q and %q are the same login: the portal compares emails in any letter case and Unicode form. List each person once.", first, k))
			continue
		}
		seen[n] = k
	}
	return diags
}

// checkRelease refuses an entry of release that is not an email, or that is
// the login of a key of users (byLogin: users' keys by login).
func checkRelease(release types.Set, byLogin map[string]string) diag.Diagnostics {
	var diags diag.Diagnostics
	if release.IsNull() || release.IsUnknown() {
		return diags
	}
	email, _ := validEmail().(stringCheck)
	for _, v := range release.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		at := path.Root("release").AtSetValue(s)
		if msg := email.check(s.ValueString()); msg != "" {
			diags.AddAttributeError(at, "Invalid email address", msg+" Each entry of release is a person's email.")
		} else if key, both := byLogin[api.NormalizeEmail(s.ValueString())]; both {
			diags.AddAttributeError(at, "Person both in the roster and released",
				fmt.Sprintf("%q is released and is also users[%q]: a person is either in the roster or let go of. "+
					"Take them out of users to let go of them, or out of release to keep them in the roster.", s.ValueString(), key))
		}
	}
	return diags
}

// releasedLogins are the logins of a roster's release.
func releasedLogins(m rosterModel) map[string]bool {
	out := map[string]bool{}
	for _, v := range m.Release.Elements() {
		if s, ok := v.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
			out[api.NormalizeEmail(s.ValueString())] = true
		}
	}
	return out
}

// ModifyPlan fills in the default partner, keeps each existing person's id
// and status (so that only what changes shows), and checks each person that
// changes before anything is sent: unknown roles, roles above the token's
// ceiling, an access end in the past, a change to a user ranked too high
// for the token. It notes whose roles the roster sets, for the "managed
// twice" warning.
func (r *rosterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	if req.Plan.Raw.IsNull() {
		// A destroy removes everyone in the roster: the removal guard counts them.
		state, prior := readRoster(ctx, req.State, &resp.Diagnostics)
		if !resp.Diagnostics.HasError() {
			r.data.guardRemovals(ctx, state.PartnerID.ValueString(), rosterUserIDs(prior, nil), &resp.Diagnostics)
		}
		return
	}
	plan, state, creating := planAndState[rosterModel](ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || creating && !r.data.planPartner(ctx, &plan.PartnerID, "roster", &resp.Diagnostics) {
		return
	}
	if !plan.PartnerID.IsUnknown() {
		plan.ID = plan.PartnerID
	}
	if plan.Users.IsUnknown() || plan.PartnerID.IsUnknown() {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
		return
	}
	planned, d := rosterElements(ctx, plan.Users)
	resp.Diagnostics.Append(d...)
	prior := map[string]rosterUserModel{}
	if !creating && plan.PartnerID.Equal(state.PartnerID) {
		prior, d = rosterElements(ctx, state.Users)
		resp.Diagnostics.Append(d...)
	} else if !creating {
		// Moved to another partner: everyone leaves the old one.
		_, old := readRoster(ctx, req.State, &resp.Diagnostics)
		r.data.guardRemovals(ctx, state.PartnerID.ValueString(), rosterUserIDs(old, nil), &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	pid := plan.PartnerID.ValueString()
	rolesSet := rosterRolesConfigured(req.Config.Raw)
	byLogin := loginIndex(prior)
	existing := r.partnerLogins(ctx, pid, planned, byLogin, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Whether the token may change the partner's users at all is asked once
	// for the roster, not once per person: a plan of thousands that the
	// partner's user_admin_min_role refuses says so in one error.
	if (creating || !req.Plan.Raw.Equal(req.State.Raw)) &&
		!r.data.checkUserAdmin(ctx, pid, "change users", path.Root("users"), &resp.Diagnostics) {
		return
	}
	matched := map[string]bool{}
	var emptied []string // people whose last role the plan takes away
	for _, key := range sortedKeys(planned) {
		el := planned[key]
		priorKey, found := byLogin[api.NormalizeEmail(key)]
		p := prior[priorKey]
		at := path.Root("users").AtMapKey(key)
		u, exists := existing[api.NormalizeEmail(key)]
		switch {
		case found:
			matched[priorKey] = true
			el = keepFromPrior(el, p)
		case exists && creating:
			resp.Diagnostics.AddAttributeError(at, "Already a user of this partner", alreadyAUser(key, u.ID, r.typeName))
			continue
		case exists:
			// Added to the roster and already a user of the partner: adopted
			// (updated to the configuration), as the plan shows with the id.
			adopted, d := rosterElementFromAPI(ctx, el, u)
			resp.Diagnostics.Append(d...)
			p, found = adopted, true
			el = keepFromPrior(el, adopted)
		default:
			el.ID, el.Status = types.StringUnknown(), types.StringUnknown()
		}
		if el.Permissions.IsUnknown() {
			el.Permissions = r.data.plannedPermissions(ctx, plan.PartnerID, el.Roles, &resp.Diagnostics)
		}
		planned[key] = el
		if found && lastRoleTaken(el.Roles, p.Roles) {
			emptied = append(emptied, p.ID.ValueString())
		}
		if rolesSet[key] {
			if found {
				r.data.noteRosterRoles(p.ID.ValueString(), at.AtName("roles"), &resp.Diagnostics)
			} else {
				r.data.noteNewAuthoritativeUser(pid, key)
			}
		}
		if found && (priorKey == key || exists) && sameRosterUser(el, p) {
			continue
		}
		resp.Diagnostics.Append(forPerson(key, func(diags *diag.Diagnostics) {
			r.checkElement(ctx, pid, key, el, p, found, rolesSet[key], diags)
		})...)
	}
	// People taken out of users and released keep their access; the others
	// the plan removes, and those it leaves with no role, count for the
	// removal guard.
	released := releasedLogins(plan)
	var letGo []string
	kept := maps.Clone(matched)
	for _, key := range sortedKeys(prior) {
		switch {
		case matched[key]:
		case released[api.NormalizeEmail(key)]:
			letGo, kept[key] = append(letGo, key), true
		default: // removed: the token must rank above them
			p := prior[key]
			roles, d := setStrings(ctx, p.Roles)
			resp.Diagnostics.Append(d...)
			resp.Diagnostics.Append(forPerson(key, func(diags *diag.Diagnostics) {
				r.data.checkTargetRank(ctx, userModel{ID: p.ID, PartnerID: plan.PartnerID, Email: types.StringValue(key)}, roles,
					path.Root("users").AtMapKey(key), diags)
			})...)
		}
	}
	r.data.guardRemovals(ctx, pid, rosterUserIDs(prior, kept), &resp.Diagnostics)
	r.data.guardRemovals(ctx, pid, emptied, &resp.Diagnostics)
	if len(letGo) > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("release"), "People leave the roster and keep their access",
			fmt.Sprintf("The plan shows %s going out of users; they are in release, so apply removes nobody: the roster stops managing them "+
				"and their accounts stay as they are.", strings.Join(letGo, ", ")))
	}
	if resp.Diagnostics.HasError() || (!creating && req.Plan.Raw.Equal(req.State.Raw)) {
		return // nothing changes: the plan is state, as the framework made it
	}
	users, d := rosterMap(planned)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.Users = users
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
}

// rosterUserIDs are the user ids of the people not in except.
func rosterUserIDs(people map[string]rosterUserModel, except map[string]bool) []string {
	var ids []string
	for key, p := range people {
		if !except[key] {
			ids = append(ids, p.ID.ValueString())
		}
	}
	return ids
}

// partnerLogins are the users of the partner that are not removed and not
// in the roster, by login, when some planned person is new: a new roster
// may not take them in (see alreadyAUser), a roster in place adopts them.
func (r *rosterResource) partnerLogins(ctx context.Context, pid string, planned map[string]rosterUserModel, byLogin map[string]string, diags *diag.Diagnostics) map[string]api.User {
	out := map[string]api.User{}
	adding := false
	for key := range planned {
		if _, ok := byLogin[api.NormalizeEmail(key)]; !ok {
			adding = true
			break
		}
	}
	if !adding {
		return out
	}
	users, err := r.data.users.all(ctx, r.data.client, pid)
	if addAPIError(diags, "Unable to read the partner's users", "listing the users of partner "+pid+" to find who is a user already", err) {
		return out
	}
	for _, u := range users {
		if _, inRoster := byLogin[api.NormalizeEmail(u.Email)]; !inRoster && u.Status != api.UserDeleted {
			out[api.NormalizeEmail(u.Email)] = u
		}
	}
	return out
}

// alreadyAUser explains why a new roster does not take in a user of the
// partner: the roster that Terraform plans to create could be one it
// replaces, which removes everyone in it first.
func alreadyAUser(key, userID, typeName string) string {
	return fmt.Sprintf("%s is already user %s of this partner, and a new roster only creates people. "+
		"If an earlier apply of this roster failed for some people, Terraform marked the roster tainted and now plans to replace it, "+
		"which would remove everyone in it first: run `terraform untaint portal_%s.<name>` and plan again, to see only what is still to do. "+
		"To take over the partner's people as they are, import the roster by partner id; or create the roster without this person "+
		"and add them after: a person added to an existing roster who is already a user of the partner is adopted.", key, userID, typeName)
}

// forPerson runs the checks of one person and names the person at the
// start of each diagnostic's detail: Terraform shows a diagnostic of a map
// element on the resource, not on the element.
func forPerson(key string, check func(*diag.Diagnostics)) diag.Diagnostics {
	var diags, out diag.Diagnostics
	check(&diags)
	for _, d := range diags {
		detail := fmt.Sprintf("users[%q]: %s", key, d.Detail())
		p, ok := d.(diag.DiagnosticWithPath)
		switch {
		case ok && d.Severity() == diag.SeverityError:
			out.AddAttributeError(p.Path(), d.Summary(), detail)
		case ok:
			out.AddAttributeWarning(p.Path(), d.Summary(), detail)
		case d.Severity() == diag.SeverityError:
			out.AddError(d.Summary(), detail)
		default:
			out.AddWarning(d.Summary(), detail)
		}
	}
	return out
}

// keepFromPrior plans an existing person: the id, and what the
// configuration leaves to the portal, as state has them; the status too,
// unless access_expires_at changes, which may change it.
func keepFromPrior(el, p rosterUserModel) rosterUserModel {
	el.ID = p.ID
	for _, f := range []struct{ plan, prior *types.String }{{&el.FirstName, &p.FirstName}, {&el.LastName, &p.LastName}, {&el.Phone, &p.Phone}} {
		if f.plan.IsUnknown() {
			*f.plan = *f.prior
		}
	}
	if el.Roles.IsUnknown() {
		el.Roles = p.Roles
	}
	el.Permissions = types.SetUnknown(types.StringType) // planned from the roles (ModifyPlan)
	if el.Roles.Equal(p.Roles) {
		el.Permissions = p.Permissions
	}
	if sameInstantValue(el.AccessExpiresAt, p.AccessExpiresAt) {
		el.Status = p.Status
	} else {
		el.Status = types.StringUnknown()
	}
	return el
}

// checkElement is ModifyPlan's check of one person that changes (found:
// the person is in state as p).
func (r *rosterResource) checkElement(ctx context.Context, pid, key string, el, p rosterUserModel, found, rolesSet bool, diags *diag.Diagnostics) {
	at := path.Root("users").AtMapKey(key)
	checkAccessEnd(el.AccessExpiresAt, p.AccessExpiresAt, !found, at.AtName("access_expires_at"), diags)
	prev, d := setStrings(ctx, p.Roles)
	diags.Append(d...)
	if !found {
		prev = nil
		if !r.data.checkUserAdmin(ctx, pid, "create users", at, diags) {
			return
		}
	} else {
		r.data.checkTargetRank(ctx, userModel{ID: p.ID, PartnerID: types.StringValue(pid), Email: types.StringValue(key)}, prev, at, diags)
	}
	if !rolesSet || el.Roles.IsUnknown() || (found && el.Roles.Equal(p.Roles)) {
		return
	}
	next, d := setStrings(ctx, el.Roles)
	diags.Append(d...)
	if !d.HasError() {
		r.data.checkRoleChange(ctx, pid, at.AtName("roles"), prev, next, diags)
	}
}

func (r *rosterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, planned := readRoster(ctx, req.Plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	versions := map[string]int64{}
	next := r.apply(ctx, plan, map[string]rosterUserModel{}, planned, versions, &resp.Diagnostics)
	// Saved even when some people failed: those created stay in state. On
	// errors Terraform marks a created roster tainted (see the docs).
	r.save(ctx, plan, next, versions, &resp.State, resp.Private, &resp.Diagnostics)
	resp.Diagnostics.Append(rosterIdentity.set(resp.Identity, resp.State.Raw)...)
}

func (r *rosterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.Append(rosterIdentity.set(resp.Identity, req.State.Raw)...)
	state, prior := readRoster(ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	pid := state.PartnerID.ValueString()
	users, err := r.data.users.all(ctx, r.data.client, pid)
	if addAPIError(&resp.Diagnostics, "Unable to read the partner's users", "listing the users of partner "+pid, err) {
		return
	}
	keep := func(api.User) bool { return false }
	if state.Exclusive.ValueBool() {
		me, err := r.data.whoAmI(ctx)
		if addAPIError(&resp.Diagnostics, "Unable to read the partner's users", "reading GET /v1/me for the API token's own account", err) {
			return
		}
		spare, released := spareFromExclusive(users, me.UserID), releasedLogins(state)
		keep = func(u api.User) bool { return spare(u) || released[api.NormalizeEmail(u.Email)] }
	}
	next, versions, d := refreshRoster(ctx, prior, users, state.Exclusive.ValueBool(), keep)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.warnDrift(ctx, pid, prior, next, users, &resp.Diagnostics)
	r.save(ctx, state, next, versions, &resp.State, resp.Private, &resp.Diagnostics)
}

// warnDrift warns of each person of the roster changed or removed outside
// Terraform, saying who did it (drift_attribution.go).
func (r *rosterResource) warnDrift(ctx context.Context, pid string, prior, next map[string]rosterUserModel, users map[string]api.User, diags *diag.Diagnostics) {
	asUser := func(key string, el rosterUserModel) userModel {
		m := asUserModel(key, el)
		m.Status = el.Status
		return m
	}
	for _, key := range sortedKeys(prior) {
		p := prior[key]
		id := p.ID.ValueString()
		var changes []drift
		if el, ok := next[key]; ok && !sameRosterUser(p, el) {
			changes = userDrift(asUser(key, p), asUser(key, el))
		} else if u, found := users[id]; !ok && found && u.Status == api.UserDeleted {
			changes = removedDrift(p.Status)
		}
		if len(changes) > 0 {
			r.data.warnDrift(ctx, pid, id, key, fmt.Sprintf("users[%q] of the roster (user %s)", key, id), changes, diags)
		}
	}
}

func (r *rosterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.Append(rosterIdentity.set(resp.Identity, req.State.Raw)...)
	plan, planned := readRoster(ctx, req.Plan, &resp.Diagnostics)
	_, prior := readRoster(ctx, req.State, &resp.Diagnostics)
	versions, d := privateVersions(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	next := r.apply(ctx, plan, prior, planned, versions, &resp.Diagnostics)
	r.save(ctx, plan, next, versions, &resp.State, resp.Private, &resp.Diagnostics)
}

// Delete removes every person of the roster. Those whose removal fails stay
// in state, with the error.
func (r *rosterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, prior := readRoster(ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	versions := map[string]int64{} // a destroy removes the people as they are
	next := r.apply(ctx, state, prior, map[string]rosterUserModel{}, versions, &resp.Diagnostics)
	if resp.Diagnostics.HasError() && len(next) > 0 {
		r.save(ctx, state, next, versions, &resp.State, nil, &resp.Diagnostics)
	}
}

// ImportState adopts every user of a partner that is not removed, with
// their roles, except the API token's own account: "PARTNER_ID", or "" for
// the default partner; or by identity, { partner_id }.
func (r *rosterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, d := rosterIdentity.imported(req, func(id string) ([]string, error) { return []string{id}, nil })
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	pid, ok := r.data.importPartner(ctx, v[0], "PARTNER_ID", &resp.Diagnostics)
	if !ok {
		return
	}
	users, err := r.data.users.all(ctx, r.data.client, pid)
	if addAPIError(&resp.Diagnostics, "Unable to import the roster", "listing the users of partner "+pid, err) {
		return
	}
	me, err := r.data.whoAmI(ctx)
	if addAPIError(&resp.Diagnostics, "Unable to import the roster", "reading GET /v1/me for the API token's own account", err) {
		return
	}
	next, versions, d := refreshRoster(ctx, nil, users, true, func(u api.User) bool { return u.ID == me.UserID })
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	m := rosterModel{ID: types.StringValue(pid), PartnerID: types.StringValue(pid), Exclusive: types.BoolValue(false), RestoreIfDeleted: types.BoolValue(false),
		Release: types.SetNull(types.StringType)}
	r.save(ctx, m, next, versions, &resp.State, resp.Private, &resp.Diagnostics)
	resp.Diagnostics.Append(rosterIdentity.set(resp.Identity, resp.State.Raw)...)
}

// save writes the roster with its people into state, and their versions
// (for If-Match) into private state.
func (r *rosterResource) save(ctx context.Context, m rosterModel, users map[string]rosterUserModel, versions map[string]int64, state stateSetter, private privateSetter, diags *diag.Diagnostics) {
	// Each person's permissions as the partner's roles give them, computed
	// once for each set of roles (a team of thousands holds a few).
	unknown := types.SetUnknown(types.StringType)
	byRoles := map[string]types.Set{}
	for key, el := range users {
		rolesKey := el.Roles.String()
		perms, seen := byRoles[rolesKey]
		if !seen {
			roles, d := setStrings(ctx, el.Roles)
			if d.HasError() {
				roles = nil
			}
			perms = r.data.permissionsOf(ctx, m.PartnerID.ValueString(), roles, unknown, diags)
			byRoles[rolesKey] = perms
		}
		if perms.IsUnknown() { // not known from the catalogue: as it was
			perms = el.Permissions
			if perms.IsUnknown() || perms.ElementType(ctx) == nil {
				perms = types.SetNull(types.StringType)
			}
		}
		el.Permissions = perms
		users[key] = el
	}
	v, d := rosterMap(users)
	diags.Append(d...)
	if d.HasError() {
		return
	}
	m.Users = v
	m.ID = m.PartnerID
	diags.Append(state.Set(ctx, m)...)
	if private == nil {
		return
	}
	b, err := json.Marshal(versions)
	if err != nil {
		diags.AddError("Unable to save the roster's versions", err.Error())
		return
	}
	diags.Append(private.SetKey(ctx, "versions", b)...)
}

// privateVersions are the users' versions read last, by user id.
func privateVersions(ctx context.Context, p privateGetter) (map[string]int64, diag.Diagnostics) {
	versions := map[string]int64{}
	b, diags := p.GetKey(ctx, "versions")
	if len(b) > 0 && json.Unmarshal(b, &versions) != nil {
		// Damaged outside the provider: changes go without If-Match until the next refresh.
		diags.AddWarning("Roster versions unreadable", "The versions Terraform keeps for the roster's people are not readable; "+
			"this apply sends its changes without the check that refuses overwriting a change made since they were read.")
		versions = map[string]int64{}
	}
	return versions, diags
}

// modelGetter is the Plan or State a model is read from.
type modelGetter interface {
	Get(context.Context, any) diag.Diagnostics
}

// readRoster reads a roster and its people from a plan or state.
func readRoster(ctx context.Context, from modelGetter, diags *diag.Diagnostics) (rosterModel, map[string]rosterUserModel) {
	var m rosterModel
	diags.Append(from.Get(ctx, &m)...)
	people, d := rosterElements(ctx, m.Users)
	diags.Append(d...)
	return m, people
}

// rosterElements reads users into a map; null or unknown is empty. It
// reads each element's attributes itself rather than with ElementsAs,
// whose reflection (struct tags looked up again for every element) cost a
// second of a no-op plan of 5,000 people.
func rosterElements(_ context.Context, m types.Map) (map[string]rosterUserModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	if m.IsNull() || m.IsUnknown() {
		return map[string]rosterUserModel{}, diags
	}
	elems := m.Elements()
	out := make(map[string]rosterUserModel, len(elems))
	for k, v := range elems {
		o, ok := v.(types.Object)
		if !ok || o.IsNull() || o.IsUnknown() {
			diags.AddAttributeError(path.Root("users").AtMapKey(k), "Unexpected value", fmt.Sprintf("users[%q] is %s, not a known object; this is a bug in the provider", k, v))
			continue
		}
		a := o.Attributes()
		var el rosterUserModel
		var okID, okFirst, okLast, okPhone, okRoles, okPerms, okAccess, okStatus bool
		el.ID, okID = a["id"].(types.String)
		el.FirstName, okFirst = a["first_name"].(types.String)
		el.LastName, okLast = a["last_name"].(types.String)
		el.Phone, okPhone = a["phone"].(types.String)
		el.Roles, okRoles = a["roles"].(types.Set)
		el.Permissions, okPerms = a["permissions"].(types.Set)
		el.AccessExpiresAt, okAccess = a["access_expires_at"].(types.String)
		el.Status, okStatus = a["status"].(types.String)
		if !okID || !okFirst || !okLast || !okPhone || !okRoles || !okPerms || !okAccess || !okStatus {
			diags.AddAttributeError(path.Root("users").AtMapKey(k), "Unexpected value", fmt.Sprintf("users[%q] has attributes of unexpected types; this is a bug in the provider", k))
			continue
		}
		out[k] = el
	}
	return out, diags
}

// rosterMap is the value of users for the people.
func rosterMap(users map[string]rosterUserModel) (types.Map, diag.Diagnostics) {
	var diags diag.Diagnostics
	elems := make(map[string]attr.Value, len(users))
	for k, el := range users {
		perms := el.Permissions
		if perms.ElementType(context.Background()) == nil {
			perms = types.SetNull(types.StringType) // a model built without it
		}
		o, d := types.ObjectValue(rosterUserType.AttrTypes, map[string]attr.Value{
			"id": el.ID, "first_name": el.FirstName, "last_name": el.LastName, "phone": el.Phone,
			"roles": el.Roles, "permissions": perms, "access_expires_at": el.AccessExpiresAt, "status": el.Status,
		})
		diags.Append(d...)
		elems[k] = o
	}
	if diags.HasError() {
		return types.MapNull(rosterUserType), diags
	}
	m, d := types.MapValue(rosterUserType, elems)
	diags.Append(d...)
	return m, diags
}

// rosterRolesConfigured tells which people of a configuration set roles,
// which makes them authoritative for that person.
func rosterRolesConfigured(config tftypes.Value) map[string]bool {
	out := map[string]bool{}
	var attrs, users map[string]tftypes.Value
	if config.As(&attrs) != nil || !attrs["users"].IsKnown() || attrs["users"].As(&users) != nil {
		return out
	}
	for k, v := range users {
		var el map[string]tftypes.Value
		if v.IsKnown() && v.As(&el) == nil && !el["roles"].IsNull() {
			out[k] = true
		}
	}
	return out
}

// loginIndex maps each key's canonical login to the key.
func loginIndex[V any](users map[string]V) map[string]string {
	out := make(map[string]string, len(users))
	for k := range users {
		out[api.NormalizeEmail(k)] = k
	}
	return out
}

// sameRosterUser reports whether two elements hold the same values.
func sameRosterUser(a, b rosterUserModel) bool {
	return a.ID.Equal(b.ID) && a.FirstName.Equal(b.FirstName) && a.LastName.Equal(b.LastName) && a.Phone.Equal(b.Phone) &&
		a.Roles.Equal(b.Roles) && a.Permissions.Equal(b.Permissions) && a.AccessExpiresAt.Equal(b.AccessExpiresAt) && a.Status.Equal(b.Status)
}

// sameInstantValue reports whether two optional RFC 3339 times are the same
// instant, or both unset.
func sameInstantValue(a, b types.String) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	return sameInstant.same(a.ValueString(), b.ValueString())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
