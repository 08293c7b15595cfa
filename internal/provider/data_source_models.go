package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// What the data sources share: the partner they read from, and users and
// invites as objects with the attribute names of their resources.

// partnerIDAttribute is the optional partner_id of a data source that reads
// what of one partner.
func partnerIDAttribute(what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:    true,
		Computed:    true,
		Description: "The partner whose " + what + " are read. " + partnerDefault,
	}
}

// computedString, computedInt64, computedBool and computedStringSet are a
// data source's read-only attributes: values the portal holds.
func computedString(description string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, Description: description}
}

func computedInt64(description string) schema.Int64Attribute {
	return schema.Int64Attribute{Computed: true, Description: description}
}

func computedBool(description string) schema.BoolAttribute {
	return schema.BoolAttribute{Computed: true, Description: description}
}

func computedStringSet(description string) schema.SetAttribute {
	return schema.SetAttribute{ElementType: types.StringType, Computed: true, Description: description}
}

// readList reads a data source's configuration into m (see readConfig), then
// lists what of its partner. It reports false, with the diagnostics, on error.
func readList[T any](ctx context.Context, d *providerData, config tfsdk.Config, m any, partner *types.String, what string,
	diags *diag.Diagnostics, list func(ctx context.Context, partnerID string) ([]T, error),
) ([]T, bool) {
	pid, ok := d.readConfig(ctx, config, m, partner, "partner_id", diags)
	if !ok {
		return nil, false
	}
	items, err := throughRefusal(&d.auth, func() ([]T, error) { return list(ctx, pid) })
	if addAPIError(diags, "Unable to list "+what, what+" of partner "+pid, err) {
		return nil, false
	}
	return items, true
}

// checkRoleFilter fails a data source filtered on a role the partner does
// not have, at the attribute at, listing the roles it has. It reports
// whether the role exists, or cannot be checked: a token without
// roles.read (a custom role may lack it) lists users as before.
func (d *providerData) checkRoleFilter(ctx context.Context, partnerID, role string, at path.Path, diags *diag.Diagnostics) bool {
	roles, err := d.partnerRoles(ctx, partnerID)
	if errors.Is(err, client.ErrForbidden) {
		return true
	}
	if addAPIError(diags, "Unable to check the role filter", "reading the roles of partner "+partnerID, err) {
		return false
	}
	if _, ok := roles[role]; ok {
		return true
	}
	diags.AddAttributeError(at, "Unknown role",
		fmt.Sprintf("Partner %s has no role %q, so no user could hold it. Its roles are: %s.", partnerID, role, strings.Join(slices.Sorted(maps.Keys(roles)), ", ")))
	return false
}

// mapAll maps every item with f, gathering f's diagnostics.
func mapAll[T, M any](ctx context.Context, items []T, diags *diag.Diagnostics, f func(context.Context, *T) (M, diag.Diagnostics)) []M {
	out := make([]M, 0, len(items))
	for i := range items {
		m, d := f(ctx, &items[i])
		diags.Append(d...)
		out = append(out, m)
	}
	return out
}

// saveData writes a data source's model into state, unless diags hold an error.
func saveData(ctx context.Context, state *tfsdk.State, m any, diags *diag.Diagnostics) {
	if diags.HasError() {
		return
	}
	diags.Append(state.Set(ctx, m)...)
}

// byEmail orders objects by email, compared as logins are (api.NormalizeEmail),
// then by id, so a list keeps its order from one plan to the next.
func byEmail(emailA, idA, emailB, idB string) int {
	return cmp.Or(cmp.Compare(api.NormalizeEmail(emailA), api.NormalizeEmail(emailB)), cmp.Compare(idA, idB))
}

// userDataModel is one user as the data sources show it: the attributes of
// portal_partner_user that the portal holds.
type userDataModel struct {
	ID              types.String `tfsdk:"id"`
	PartnerID       types.String `tfsdk:"partner_id"`
	Email           types.String `tfsdk:"email"`
	FirstName       types.String `tfsdk:"first_name"`
	LastName        types.String `tfsdk:"last_name"`
	Phone           types.String `tfsdk:"phone"`
	Roles           types.Set    `tfsdk:"roles"`
	AccessExpiresAt types.String `tfsdk:"access_expires_at"`
	Status          types.String `tfsdk:"status"`
	CreatedAt       types.String `tfsdk:"created_at"`
	LastActivityAt  types.String `tfsdk:"last_activity_at"`
}

// userDataAttributes are the attributes of userDataModel, all computed.
func userDataAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":                computedString("The user's id, such as `usr_0123abcd`: the import id of `portal_partner_user`."),
		"partner_id":        computedString("The partner the user belongs to."),
		"email":             computedString("The user's email address, which is their login, as the portal holds it."),
		"first_name":        computedString("Given name, or `\"\"`."),
		"last_name":         computedString("Family name, or `\"\"`."),
		"phone":             computedString("Phone number in E.164 form, such as `+14155550123`, or null when the user has none."),
		"roles":             computedStringSet("The keys of the roles the user holds, built-in or custom."),
		"access_expires_at": computedString("When the user's access ends (RFC 3339), or null when it does not end."),
		"status":            computedString("`invited` (has not set a password yet), `active`, `expired` (past `access_expires_at`) or `deleted` (removed, restorable)."),
		"created_at":        computedString("When the user was created (RFC 3339)."),
		"last_activity_at":  computedString("When the user last used the portal (RFC 3339), or null if never."),
	}
}

// userDataFromAPI writes times the way portal_partner_user does, so values
// compare equal to the resource's.
func userDataFromAPI(ctx context.Context, u *api.User) (userDataModel, diag.Diagnostics) {
	roles, diags := stringSet(ctx, u.Roles)
	return userDataModel{
		ID:              types.StringValue(u.ID),
		PartnerID:       types.StringValue(u.PartnerID),
		Email:           types.StringValue(u.Email),
		FirstName:       types.StringValue(u.FirstName),
		LastName:        types.StringValue(u.LastName),
		Phone:           types.StringPointerValue(u.Phone),
		Roles:           roles,
		AccessExpiresAt: keepInstant(types.StringNull(), u.AccessExpiresAt),
		Status:          types.StringValue(u.Status),
		CreatedAt:       timeValue(u.CreatedAt),
		LastActivityAt:  timeString(u.LastActivityAt),
	}, diags
}

// inviteDataModel is one invite as portal_partner_invites shows it: the
// attributes of portal_partner_invite that the portal holds.
type inviteDataModel struct {
	ID             types.String `tfsdk:"id"`
	PartnerID      types.String `tfsdk:"partner_id"`
	Email          types.String `tfsdk:"email"`
	Roles          types.Set    `tfsdk:"roles"`
	Status         types.String `tfsdk:"status"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
	RespondedAt    types.String `tfsdk:"responded_at"`
	UserID         types.String `tfsdk:"user_id"`
	SendCount      types.Int64  `tfsdk:"send_count"`
	CreatedAt      types.String `tfsdk:"created_at"`
	Lifetime       types.String `tfsdk:"lifetime"`
	AccessDuration types.String `tfsdk:"access_duration"`
}

// inviteDataAttributes are the attributes of inviteDataModel, all computed.
func inviteDataAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":              computedString("The invite's id, such as `inv_0123abcd`: the import id of `portal_partner_invite`."),
		"partner_id":      computedString("The partner the person is invited to."),
		"email":           computedString("The address the invitation was sent to."),
		"roles":           computedStringSet("The keys of the roles the person gets (or got) on accepting."),
		"status":          computedString("`pending` (sent, waiting), `accepted`, `expired` (the link's time ran out) or `revoked`."),
		"expires_at":      computedString("When the current link stops (or stopped) working (RFC 3339)."),
		"responded_at":    computedString("When the person accepted (RFC 3339), or null."),
		"user_id":         computedString("The id of the user the person became on accepting, or null."),
		"send_count":      computedInt64("How many times the invitation was sent: 1, plus one per resend."),
		"created_at":      computedString("When the invite was first sent (RFC 3339)."),
		"lifetime":        computedString("How long the link works from each send, such as `168h`."),
		"access_duration": computedString("How long the person's access lasts after accepting, such as `720h`, or null for access that does not end."),
	}
}

// inviteDataFromAPI writes durations and times the way portal_partner_invite does.
func inviteDataFromAPI(ctx context.Context, inv *api.Invite) (inviteDataModel, diag.Diagnostics) {
	roles, diags := stringSet(ctx, inv.Roles)
	userID := types.StringNull()
	if inv.UserID != "" {
		userID = types.StringValue(inv.UserID)
	}
	return inviteDataModel{
		ID:             types.StringValue(inv.ID),
		PartnerID:      types.StringValue(inv.PartnerID),
		Email:          types.StringValue(inv.Email),
		Roles:          roles,
		Status:         types.StringValue(inv.Status),
		ExpiresAt:      timeValue(inv.ExpiresAt),
		RespondedAt:    timeString(inv.RespondedAt),
		UserID:         userID,
		SendCount:      types.Int64Value(inv.SendCount),
		CreatedAt:      timeValue(inv.CreatedAt),
		Lifetime:       keepDuration(types.StringNull(), inv.LifetimeSeconds, compactDuration(api.DefaultInviteLifetimeSeconds*time.Second)),
		AccessDuration: keepDuration(types.StringNull(), inv.AccessDurationSeconds, ""),
	}, diags
}
