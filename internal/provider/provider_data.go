package provider

import (
	"context"
	"fmt"
	"maps"
	"sync"

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

	mu    sync.Mutex
	me    *api.Me
	roles map[string]map[string]api.Role // partner id → role key → role

	users *userIndex // one shared read of each partner's users per run

	ownersMu sync.Mutex
	owners   map[string]*roleOwnership // user id → how its roles are managed (plan_checks.go)
}

func newProviderData(c *client.Client, partnerID string) *providerData {
	return &providerData{client: c, partnerID: partnerID, roles: map[string]map[string]api.Role{}, owners: map[string]*roleOwnership{}, users: newUserIndex()}
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

// dataSourceBase is resourceBase for data sources.
type dataSourceBase struct {
	typeName string
	data     *providerData
}

func (b *dataSourceBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + b.typeName
}

func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.data = configureData(req.ProviderData, &resp.Diagnostics)
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
	me, err := d.client.Me.Get(ctx)
	if err != nil {
		return nil, err
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
	list, err := d.client.Roles.ListAll(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]api.Role, len(list))
	for _, r := range list {
		byKey[r.Key] = r
	}
	d.roles[partnerID] = byKey
	return byKey, nil
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
	if _, err := d.partnerRoles(ctx, pid); err != nil {
		return nil // whoever needs the roles reports the error
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

// defaultPartner is the partner used when a resource sets none: the
// provider's, else the partner of a partner token.
func (d *providerData) defaultPartner(ctx context.Context) (string, error) {
	if d.partnerID != "" {
		return d.partnerID, nil
	}
	me, err := d.whoAmI(ctx)
	if err != nil {
		return "", err
	}
	if me.PartnerID == "" {
		return "", fmt.Errorf("this is an operator token, which acts for every partner: set partner_id on the resource, in the provider block, or in %s", envPartnerID)
	}
	return me.PartnerID, nil
}

// planPartner fills in a planned partner_id left unknown (not configured)
// with the default partner. It reports false, with an error on partner_id
// naming what, when there is none.
func (d *providerData) planPartner(ctx context.Context, v *types.String, what string, diags *diag.Diagnostics) bool {
	if !v.IsUnknown() {
		return true
	}
	pid, err := d.defaultPartner(ctx)
	if err != nil {
		diags.AddAttributeError(path.Root("partner_id"), "No partner for this "+what, err.Error())
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
		diags.AddError("No partner for the import", err.Error()+"; or import with \""+form+"\".")
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
	if _, isAPI := client.AsAPIError(err); isAPI {
		addAPIError(diags, "Unable to find the API token's partner", "reading GET /v1/me", err)
		return "", false
	}
	if err != nil {
		diags.AddAttributeError(path.Root(attr), "No partner for this data source", err.Error())
		return "", false
	}
	*partner = types.StringValue(pid)
	return pid, true
}
