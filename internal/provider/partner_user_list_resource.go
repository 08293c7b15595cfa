package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

var _ list.ListResourceWithConfigure = &userList{}

func newUserList() list.ListResource {
	return &userList{resourceBase{typeName: "partner_user"}}
}

// userList is the portal_partner_user list resource: `terraform query`
// finds a partner's users with the filters of portal_partner_users, each
// with its identity, to adopt with import blocks (-generate-config-out
// writes them).
type userList struct{ resourceBase }

func (l *userList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		Description: "Finds the users of a partner that match the filters, as `portal_partner_users` does, for `terraform query` " +
			"(Terraform 1.14+): each result is a user's identity and, with `include_resource = true`, the `portal_partner_user` as import " +
			"would read it. `terraform query -generate-config-out=FILE` writes a resource and an import block for each. Ordered by email. " +
			"A removed user (`include_deleted`) is listed but cannot be imported until it is restored.",
		Attributes: map[string]listschema.Attribute{
			"partner_id":      listPartnerID("users"),
			"role":            listschema.StringAttribute{Optional: true, Description: usersRoleFilter, Validators: []validator.String{validRoleKey()}},
			"status":          listschema.StringAttribute{Optional: true, Description: usersStatusFilter, Validators: []validator.String{stringvalidator.OneOf(userStatuses...)}},
			"email_domain":    listschema.StringAttribute{Optional: true, Description: usersEmailDomainFilter, Validators: []validator.String{validEmailDomain()}},
			"include_deleted": listschema.BoolAttribute{Optional: true, Description: usersIncludeDeletedFilter},
			"inactive_for":    listschema.StringAttribute{Optional: true, Description: usersInactiveForFilter, Validators: []validator.String{validInactiveFor()}},
		},
	}
}

func (l *userList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var f usersFilter
	var diags diag.Diagnostics
	users, _ := l.data.listUsers(ctx, req.Config, &f, &f, &diags) // on error, diags says why
	pid := f.PartnerID.ValueString()
	streamResults(ctx, req, stream, users, diags, func(u *api.User, r *list.ListResult) {
		userIdentity.of(r.Identity, pid, u.ID)
		r.DisplayName = displayName(u.Email, strings.TrimSpace(u.FirstName+" "+u.LastName))
		if req.IncludeResource {
			m, d := userModelFromAPI(ctx, userModel{}, u)
			r.Diagnostics.Append(d...)
			r.Diagnostics.Append(userCodec().into(&r.Resource.Raw).Set(ctx, m)...)
		}
	})
}

// What the list resources share.

// listPartnerID is a list resource's partner_id: whose what it lists.
func listPartnerID(what string) listschema.StringAttribute {
	return listschema.StringAttribute{
		Optional:    true,
		Description: "The partner whose " + what + " are listed. " + partnerDefault,
	}
}

// streamResults answers a list request with one result per item, at most
// the request's limit: what result fills in (the identity, the display
// name and, when the request includes resources, the resource's object).
// With an error in diags, from reading the configuration or listing, the
// answer is diags alone.
func streamResults[T any](ctx context.Context, req list.ListRequest, stream *list.ListResultsStream, items []T, diags diag.Diagnostics, result func(*T, *list.ListResult)) {
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for i := range items {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			r := req.NewListResult(ctx)
			result(&items[i], &r)
			if !push(r) {
				return
			}
		}
	}
}

// displayName is what `terraform query` shows for a result: its name, and
// what it is in parentheses when there is that.
func displayName(name, detail string) string {
	if detail == "" {
		return name
	}
	return name + " (" + detail + ")"
}
