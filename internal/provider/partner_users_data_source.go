package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ datasource.DataSourceWithConfigure = &usersDataSource{}

func newUsersDataSource() datasource.DataSource {
	return &usersDataSource{dataSourceBase{typeName: "partner_users"}}
}

// usersDataSource is portal_partner_users: every user of a partner that
// matches some filters.
type usersDataSource struct{ dataSourceBase }

type usersDataModel struct {
	usersFilter
	Users  []userDataModel `tfsdk:"users"`
	Emails types.Set       `tfsdk:"emails"`
	IDs    types.List      `tfsdk:"ids"`
}

// usersFilter is what portal_partner_users and the portal_partner_user list
// resource select users by, with the same names, meaning and checks.
type usersFilter struct {
	PartnerID      types.String `tfsdk:"partner_id"`
	Role           types.String `tfsdk:"role"`
	Status         types.String `tfsdk:"status"`
	EmailDomain    types.String `tfsdk:"email_domain"`
	IncludeDeleted types.Bool   `tfsdk:"include_deleted"`
	InactiveFor    types.String `tfsdk:"inactive_for"`
}

// The filters' descriptions and the statuses a user may have.
const (
	usersRoleFilter = "Only users who hold this role (a built-in or custom role key, such as `manager`). " +
		"A role the partner does not have is an error that lists its roles, rather than an empty list."
	usersStatusFilter = "Only users with this status: `invited` (has not set a password yet), `active`, `expired` (past " +
		"`access_expires_at`) or `deleted` (removed; implies `include_deleted`)."
	usersEmailDomainFilter = "Only users whose email address is at this domain, such as `acme.com` (compared case-insensitively; a leading `@` is ignored). " +
		"A value that is not a domain fails at plan time."
	usersIncludeDeletedFilter = "Also list removed (soft-deleted) users, with status `deleted`. Default `false`."
	usersInactiveForFilter    = "Only users inactive for at least this long, as a duration such as `720h` (30 days) in whole seconds: " +
		"whose `last_activity_at` is older, or who never signed in and were created longer ago. Time is the portal's, not this machine's. " +
		"Stale access, to review and remove: see the guide \"Find and remove stale access\"."
)

// validInactiveFor is inactive_for's check: a duration from a second to a century.
func validInactiveFor() validator.String { return durationBetween(time.Second, 100*365*24*time.Hour) }

var userStatuses = []string{api.UserInvited, api.UserActive, api.UserExpired, api.UserDeleted}

func (d *usersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Every user of a partner that matches the filters, each with the same attributes as `portal_partner_user`: to adopt " +
			"existing users into Terraform with `import` blocks and `for_each`, and to report people with access who are not managed in code. " +
			"All pages are read.",
		Attributes: map[string]schema.Attribute{
			"partner_id":      partnerIDAttribute("users"),
			"role":            schema.StringAttribute{Optional: true, Description: usersRoleFilter, Validators: []validator.String{validRoleKey()}},
			"status":          schema.StringAttribute{Optional: true, Description: usersStatusFilter, Validators: []validator.String{stringvalidator.OneOf(userStatuses...)}},
			"email_domain":    schema.StringAttribute{Optional: true, Description: usersEmailDomainFilter, Validators: []validator.String{validEmailDomain()}},
			"include_deleted": schema.BoolAttribute{Optional: true, Description: usersIncludeDeletedFilter},
			"inactive_for":    schema.StringAttribute{Optional: true, Description: usersInactiveForFilter, Validators: []validator.String{validInactiveFor()}},
			"users": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The matching users, ordered by email.",
				NestedObject: schema.NestedAttributeObject{Attributes: userDataAttributes()},
			},
			"emails": computedStringSet("The email addresses of the matching users, in lower case: to compare with a set of managed addresses."),
			"ids": schema.ListAttribute{
				ElementType: types.StringType,
				Computed:    true,
				Description: "The ids of the matching users, in the order of `users`.",
			},
		},
	}
}

func (d *usersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m usersDataModel
	users, ok := d.data.listUsers(ctx, req.Config, &m, &m.usersFilter, &resp.Diagnostics)
	if !ok {
		return
	}
	m.Users = mapAll(ctx, users, &resp.Diagnostics, userDataFromAPI)
	emails, ids := make([]string, 0, len(users)), make([]string, 0, len(users))
	for _, u := range m.Users {
		emails = append(emails, strings.ToLower(u.Email.ValueString()))
		ids = append(ids, u.ID.ValueString())
	}
	slices.Sort(emails)
	var diags diag.Diagnostics
	m.Emails, diags = stringSet(ctx, slices.Compact(emails))
	resp.Diagnostics.Append(diags...)
	m.IDs, diags = types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}

// listUsers reads a configuration holding a usersFilter f into m (see
// readConfig) and lists the users of its partner that match, ordered by
// email. It reports false, with the diagnostics, on error.
func (d *providerData) listUsers(ctx context.Context, config tfsdk.Config, m any, f *usersFilter, diags *diag.Diagnostics) ([]api.User, bool) {
	pid, ok := d.readConfig(ctx, config, m, &f.PartnerID, "partner_id", diags)
	// The portal answers a role it does not have with an empty list, which
	// reads as "nobody holds it": a misspelt role would hide everyone who
	// holds the real one.
	if !ok || (!f.Role.IsNull() && !d.checkRoleFilter(ctx, pid, f.Role.ValueString(), path.Root("role"), diags)) {
		return nil, false
	}
	inactive, _ := time.ParseDuration(f.InactiveFor.ValueString()) // validated; 0 when not set
	users, err := throughRefusal(&d.auth, func() ([]api.User, error) {
		return d.client.Users.ListAll(ctx, pid, api.UserListOptions{
			Role:           f.Role.ValueString(),
			Status:         f.Status.ValueString(),
			EmailDomain:    f.EmailDomain.ValueString(),
			IncludeDeleted: f.IncludeDeleted.ValueBool(),
			InactiveFor:    inactive,
		})
	})
	if addAPIError(diags, "Unable to list partner users", "partner users of partner "+pid, err) {
		return nil, false
	}
	slices.SortFunc(users, func(a, b api.User) int { return byEmail(a.Email, a.ID, b.Email, b.ID) })
	return users, true
}

// validEmailDomain takes the domain of an email address, such as acme.com,
// with or without a leading @: what an email_domain filter compares.
func validEmailDomain() validator.String {
	return stringCheck{"email domain", func(s string) string {
		if api.ValidEmail("x@" + strings.TrimPrefix(s, "@")) {
			return ""
		}
		return fmt.Sprintf("%q is not an email domain: write the part of the addresses after the @, with at least one dot, "+
			"such as acme.com (a leading @ is allowed).", s)
	}}
}
