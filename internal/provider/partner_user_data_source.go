package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var (
	_ datasource.DataSourceWithConfigure        = &userDataSource{}
	_ datasource.DataSourceWithConfigValidators = &userDataSource{}
)

func newUserDataSource() datasource.DataSource {
	return &userDataSource{dataSourceBase{typeName: "partner_user"}}
}

// userDataSource is portal_partner_user: one user of a partner, found by id
// or by email.
type userDataSource struct{ dataSourceBase }

func (d *userDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := userDataAttributes()
	attrs["id"] = schema.StringAttribute{
		Optional: true, Computed: true,
		Description: "The user's id, such as `usr_0123abcd`. Set exactly one of `id` and `email`.",
	}
	attrs["email"] = schema.StringAttribute{
		Optional: true, Computed: true,
		Description: "The user's email address, compared case-insensitively; the portal's spelling is read back. Set exactly one of `id` and `email`.",
		Validators:  []validator.String{validEmail()},
	}
	attrs["partner_id"] = partnerIDAttribute("user")
	resp.Schema = schema.Schema{
		Description: "One user of a partner, found by id or by email, with the same attributes as `portal_partner_user`: to refer to " +
			"someone managed elsewhere (a grant with `portal_role_assignment`, an owner's id), or to check a person's roles and status. " +
			"Removed (soft-deleted) users are not found.",
		Attributes: attrs,
	}
}

func (d *userDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("email")),
	}
}

func (d *userDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg userDataModel
	pid, ok := d.data.readConfig(ctx, req.Config, &cfg, &cfg.PartnerID, "partner_id", &resp.Diagnostics)
	if !ok {
		return
	}
	var u *api.User
	if email := cfg.Email.ValueString(); email != "" {
		list, err := throughRefusal(&d.data.auth, func() (*api.UserList, error) {
			return d.data.client.Users.List(ctx, pid, api.UserListOptions{Email: email})
		})
		if addAPIError(&resp.Diagnostics, "Unable to find partner user", "looking up "+email+" in partner "+pid, err) {
			return
		}
		if len(list.Users) == 0 {
			resp.Diagnostics.AddAttributeError(path.Root("email"), "Partner user not found",
				fmt.Sprintf("No user of partner %s has the email %s (compared case-insensitively). Removed users are not found; "+
					"list them with portal_partner_users and include_deleted = true.", pid, email))
			return
		}
		u = &list.Users[0]
	} else {
		id := cfg.ID.ValueString()
		var err error
		u, err = throughRefusal(&d.data.auth, func() (*api.User, error) { return d.data.client.Users.Get(ctx, pid, id) })
		if errors.Is(err, client.ErrNotFound) || (err == nil && u.Status == api.UserDeleted) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Partner user not found",
				fmt.Sprintf("Partner %s has no user %s, or it was removed (soft-deleted).", pid, id))
			return
		}
		if addAPIError(&resp.Diagnostics, "Unable to read partner user", "user "+id+" of partner "+pid, err) {
			return
		}
	}
	m, diags := userDataFromAPI(ctx, u)
	resp.Diagnostics.Append(diags...)
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}
