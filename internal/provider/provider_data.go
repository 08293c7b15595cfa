package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// providerData is what resources and data sources receive from Configure:
// the client, the default partner, and what one run reads only once (the
// API token's identity, each partner's roles and users).
type providerData struct {
	client    *client.Client
	partnerID string // from the provider block or environment; may be empty

	// auth remembers a refused API token, so that a wrong token is one
	// error rather than one per resource (token_refusal.go).
	auth tokenRefusal

	mu    sync.Mutex
	me    *api.Me
	roles map[string]map[string]api.Role // partner id → role key → role

	users *userIndex // one shared read of each partner's users per run

	guard *removalGuard // counts the people the plan removes (removal_guard.go); nil in unit tests
	audit auditTrail    // read once some drift is found (drift_attribution.go)

	ownersMu  sync.Mutex
	owners    map[string]*roleOwnership // user id → how its roles are managed (plan_checks.go)
	newOwners map[string]bool           // "partner id/email" of new users whose roles are set (plan_checks.go)
}

func newProviderData(c *client.Client, partnerID string) *providerData {
	d := &providerData{client: c, partnerID: partnerID, roles: map[string]map[string]api.Role{}, owners: map[string]*roleOwnership{}}
	d.users = newUserIndex(&d.auth)
	return d
}

// resourceBase is what every resource has the same: its type name (after
// the provider's, such as "partner_user"), and the provider's data, set by
// Configure (nil while the provider is not configured, as in validation).
type resourceBase struct {
	typeName string
	data     *providerData
}

func (b *resourceBase) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + b.typeName
}

func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// dataSourceBase is resourceBase for data sources: the same fields, with
// the methods of the datasource package.
type dataSourceBase resourceBase

func (b *dataSourceBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + b.typeName
}

func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// actionBase is resourceBase for actions.
type actionBase resourceBase

func (b *actionBase) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + b.typeName
}

func (b *actionBase) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	b.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// actionConfig reads an action's configuration into m, whose fields id and
// partner are its object's id and partner_id, and returns the partner the
// action acts in: partner_id when set, else the default partner. It
// reports false when there is nothing to do: the configuration did not
// decode, the provider is not configured yet, there is no partner (an
// error on partner_id), or, at plan time, the id or the partner is not
// known yet (the invoke checks it then).
func (d *providerData) actionConfig(ctx context.Context, config tfsdk.Config, m any, id, partner *types.String, diags *diag.Diagnostics) (string, bool) {
	diags.Append(config.Get(ctx, m)...)
	if diags.HasError() || d == nil || id.IsUnknown() || partner.IsUnknown() {
		return "", false
	}
	if !partner.IsNull() && partner.ValueString() != "" {
		return partner.ValueString(), true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		at := path.Root("partner_id")
		addPartnerError(diags, "action", &at, "", err)
		return "", false
	}
	return pid, true
}

// configureData takes the provider's data in Configure of any resource or data source.
func configureData(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil // the provider is not configured yet (validation)
	}
	d, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider", v))
		return nil
	}
	return d
}

// whoAmI returns GET /v1/me, read once per provider run.
func (d *providerData) whoAmI(ctx context.Context) (*api.Me, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.me != nil {
		return d.me, nil
	}
	if err := d.auth.check(); err != nil {
		return nil, err
	}
	me, err := d.client.Me.Get(ctx)
	if err != nil {
		return nil, d.auth.note(err)
	}
	d.me = me
	return me, nil
}

// partnerRoles returns the roles of a partner by key, read once per provider run.
func (d *providerData) partnerRoles(ctx context.Context, partnerID string) (map[string]api.Role, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.roles[partnerID]; ok {
		return r, nil
	}
	if err := d.auth.check(); err != nil {
		return nil, err
	}
	list, err := d.client.Roles.ListAll(ctx, partnerID)
	if err != nil {
		return nil, d.auth.note(err)
	}
	byKey := make(map[string]api.Role, len(list))
	for _, r := range list {
		byKey[r.Key] = r
	}
	d.roles[partnerID] = byKey
	return byKey, nil
}

// rolesReportedOnce is partnerRoles for a caller that can go on without
// them: whoever needs the roles reports an error reading them, but a
// refused token's first error is reported in full only once, and so here.
func (d *providerData) rolesReportedOnce(ctx context.Context, partnerID string, diags *diag.Diagnostics) (map[string]api.Role, bool) {
	byKey, err := d.partnerRoles(ctx, partnerID)
	if err != nil && firstRefusal(err) {
		addAPIError(diags, "Unable to read roles", "reading the roles of partner "+partnerID, err)
	}
	return byKey, err == nil
}

// permissionsOf is the union of the permissions of roles in the partner's
// roles (read once per run), as a set; fallback when they cannot be read or
// a role is not among them.
func (d *providerData) permissionsOf(ctx context.Context, partnerID string, roles []string, fallback types.Set, diags *diag.Diagnostics) types.Set {
	byKey, ok := d.rolesReportedOnce(ctx, partnerID, diags)
	if !ok {
		return fallback
	}
	var perms []string
	for _, k := range roles {
		r, ok := byKey[k]
		if !ok {
			return fallback
		}
		perms = append(perms, r.Permissions...)
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	// Built by hand rather than with SetValueFrom's reflection: a roster
	// computes this for each of thousands of people on every refresh.
	elems := make([]attr.Value, len(perms))
	for i, p := range perms {
		elems[i] = types.StringValue(p)
	}
	v, vd := types.SetValue(types.StringType, elems)
	if vd.HasError() {
		return fallback
	}
	return v
}

// plannedPermissions is permissionsOf planned roles: unknown while the
// partner or a role is, or a role is not one the partner has (an error the
// role checks report).
func (d *providerData) plannedPermissions(ctx context.Context, partnerID types.String, roles types.Set, diags *diag.Diagnostics) types.Set {
	unknown := types.SetUnknown(types.StringType)
	if partnerID.IsUnknown() || partnerID.IsNull() || roles.IsUnknown() || roles.IsNull() {
		return unknown
	}
	keys := make([]string, 0, len(roles.Elements()))
	for _, v := range roles.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			return unknown
		}
		keys = append(keys, s.ValueString())
	}
	return d.permissionsOf(ctx, partnerID.ValueString(), keys, unknown, diags)
}

// forgetRoles drops the cached roles of a partner after a custom role changed.
func (d *providerData) forgetRoles(partnerID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.roles, partnerID)
}

// notePlannedRole adds a role being created or changed in this plan to the
// cached roles of its partner, so that portal_partner_user, planned after
// the role it references, checks its roles against the role as planned
// rather than failing on a role that does not exist yet. The apply calls
// forgetRoles once the role is written, so the server's roles count then.
func (d *providerData) notePlannedRole(ctx context.Context, plan roleModel) diag.Diagnostics {
	if plan.PartnerID.IsUnknown() || plan.Key.IsUnknown() || plan.Rank.IsUnknown() || plan.Permissions.IsUnknown() {
		return nil
	}
	pid := plan.PartnerID.ValueString()
	var diags diag.Diagnostics
	if _, ok := d.rolesReportedOnce(ctx, pid, &diags); !ok {
		return diags
	}
	perms, diags := setStrings(ctx, plan.Permissions)
	if diags.HasError() {
		return diags
	}
	role := api.Role{Key: plan.Key.ValueString(), Name: plan.Name.ValueString(), Description: plan.Description.ValueString(),
		Rank: int(plan.Rank.ValueInt64()), Permissions: perms, PartnerID: pid}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Copy on write: a caller may be reading the map it was given.
	byKey := maps.Clone(d.roles[pid])
	if byKey == nil {
		byKey = map[string]api.Role{}
	}
	byKey[role.Key] = role
	d.roles[pid] = byKey
	return diags
}

// errOperatorToken is defaultPartner's error for an operator token, which has
// no partner of its own to default to.
var errOperatorToken = errors.New("this is an operator token, which acts for every partner: " +
	"set partner_id on the resource, in the provider block, or in " + envPartnerID)

// defaultPartner is the partner used when a resource sets none: the
// provider's, else the partner of a partner token, which GET /v1/me tells.
func (d *providerData) defaultPartner(ctx context.Context) (string, error) {
	if d.partnerID != "" {
		return d.partnerID, nil
	}
	me, err := d.whoAmI(ctx)
	if err != nil {
		return "", err
	}
	if me.PartnerID == "" {
		return "", errOperatorToken
	}
	return me.PartnerID, nil
}

// addPartnerError explains an error of defaultPartner for what needs a
// partner ("data source", "user", "import"): an operator token, which has no
// partner (the error goes on the attribute at, if any, with the hint at the
// end), or GET /v1/me failing, such as an endpoint that cannot be reached.
func addPartnerError(diags *diag.Diagnostics, what string, at *path.Path, hint string, err error) {
	const object = "finding the API token's partner with GET /v1/me, as no partner_id is set"
	switch {
	case errors.Is(err, errOperatorToken):
		summary, detail := "No partner for this "+what, err.Error()+hint+"."
		if at != nil {
			diags.AddAttributeError(*at, summary, detail)
			return
		}
		diags.AddError(summary, detail)
	case errors.Is(err, client.ErrUnreachable):
		addAPIError(diags, "Cannot reach the portal", object, err, withHint(
			"Check the provider's endpoint (or "+envEndpoint+"), and that the portal is up and reachable from here."))
	default:
		addAPIError(diags, "Unable to find the API token's partner", object, err)
	}
}

// planPartner fills in a planned partner_id left unknown (not configured)
// with the default partner. It reports false, with an error naming what,
// when there is none.
func (d *providerData) planPartner(ctx context.Context, v *types.String, what string, diags *diag.Diagnostics) bool {
	if !v.IsUnknown() {
		return true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		at := path.Root("partner_id")
		addPartnerError(diags, what, &at, "", err)
		return false
	}
	*v = types.StringValue(pid)
	return true
}

// importPartner is the partner of an import id, the default one when the id
// names none. form is the id's full form, for the error.
func (d *providerData) importPartner(ctx context.Context, partnerID, form string, diags *diag.Diagnostics) (string, bool) {
	if partnerID != "" {
		return partnerID, true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		addPartnerError(diags, "import", nil, "; or import with \""+form+"\"", err)
		return "", false
	}
	return pid, true
}

// readConfig reads a data source's configuration into m and resolves the
// partner it reads from: the value at partner (a field of m, at attribute
// attr) when set, else the default partner, which it writes back there. It
// reports false, with the diagnostics, when there is none.
func (d *providerData) readConfig(ctx context.Context, config tfsdk.Config, m any, partner *types.String, attr string, diags *diag.Diagnostics) (string, bool) {
	diags.Append(config.Get(ctx, m)...)
	if diags.HasError() {
		return "", false
	}
	if !partner.IsNull() && !partner.IsUnknown() && partner.ValueString() != "" {
		return partner.ValueString(), true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		at := path.Root(attr)
		addPartnerError(diags, "data source", &at, "", err)
		return "", false
	}
	*partner = types.StringValue(pid)
	return pid, true
}
