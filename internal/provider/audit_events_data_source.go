package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

var _ datasource.DataSourceWithConfigure = &auditEventsDataSource{}

// defaultMaxEvents is how many events portal_audit_events reads when max_events is not set.
const defaultMaxEvents = 500

func newAuditEventsDataSource() datasource.DataSource {
	return &auditEventsDataSource{dataSourceBase{typeName: "audit_events"}}
}

// auditEventsDataSource is portal_audit_events: the newest entries of a
// partner's audit trail that match some filters.
type auditEventsDataSource struct{ dataSourceBase }

type auditEventsDataModel struct {
	PartnerID types.String     `tfsdk:"partner_id"`
	UserID    types.String     `tfsdk:"user_id"`
	Actor     types.String     `tfsdk:"actor"`
	Action    types.String     `tfsdk:"action"`
	Since     types.String     `tfsdk:"since"`
	MaxEvents types.Int64      `tfsdk:"max_events"`
	Events    []auditDataModel `tfsdk:"events"`
}

func (d *auditEventsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	filter := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Description: description, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}}
	}
	resp.Schema = schema.Schema{
		Description: "The newest events of a partner's audit trail that match the filters, newest first: every change with its actor, request " +
			"id, and the object before and after. To review who changed a person's access by hand (the cause of drift a plan shows), or " +
			"to report recent changes. The API token needs `audit.read` (manager and above).",
		Attributes: map[string]schema.Attribute{
			"partner_id": partnerIDAttribute("audit events"),
			"user_id":    filter("Only events about this user (the user changed, or the user an invite or token belongs to), by id."),
			"actor":      filter("Only changes made by this actor: a user's id or email address (case-insensitive), or an operator token's id."),
			"action":     filter("Only events of this action, such as `user.created`, `user.updated`, `user.deleted`, `user.role_granted`, `user.role_revoked` or `invite.accepted`."),
			"since": schema.StringAttribute{
				Optional:    true,
				Description: "Only events at or after this time, in RFC 3339 form such as `2027-01-31T18:00:00Z`.",
				Validators:  []validator.String{validRFC3339()},
			},
			"max_events": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				Description: "How many of the newest matching events to read at most, from 1 to 100000; reading stops once this many are read. " +
					"Default 500.",
				Validators: []validator.Int64{int64validator.Between(1, 100000)},
			},
			"events": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The matching events, newest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: auditDataAttributes()},
			},
		},
	}
}

func (d *auditEventsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m auditEventsDataModel
	pid, ok := d.data.readConfig(ctx, req.Config, &m, &m.PartnerID, "partner_id", &resp.Diagnostics)
	if !ok {
		return
	}
	if m.MaxEvents.IsNull() || m.MaxEvents.IsUnknown() {
		m.MaxEvents = types.Int64Value(defaultMaxEvents)
	}
	limit := int(m.MaxEvents.ValueInt64())
	opts := api.AuditListOptions{UserID: m.UserID.ValueString(), Actor: m.Actor.ValueString(), Action: m.Action.ValueString(),
		PageSize: min(limit, client.MaxPageSize)}
	if t, ok := parseInstant(m.Since); ok {
		opts.Since = &t
	}
	pages := client.Pages(ctx, func(ctx context.Context, token string) ([]api.AuditEvent, string, error) {
		opts.PageToken = token
		page, err := throughRefusal(&d.data.auth, func() (*api.AuditEventList, error) { return d.data.client.Audit.List(ctx, pid, opts) })
		if err != nil {
			return nil, "", err
		}
		return page.Events, page.NextPageToken, nil
	})
	m.Events = make([]auditDataModel, 0, min(limit, client.MaxPageSize))
	for e, err := range pages {
		if addAPIError(&resp.Diagnostics, "Unable to list audit events", "audit events of partner "+pid, err) {
			return
		}
		m.Events = append(m.Events, auditDataFromAPI(e, &resp.Diagnostics))
		if len(m.Events) == limit {
			break // stops the paging
		}
	}
	saveData(ctx, &resp.State, m, &resp.Diagnostics)
}

// auditDataModel is one event of the audit trail, as portal_audit_events shows it.
type auditDataModel struct {
	ID         types.String `tfsdk:"id"`
	Time       types.String `tfsdk:"time"`
	Action     types.String `tfsdk:"action"`
	ActorType  types.String `tfsdk:"actor_type"`
	ActorID    types.String `tfsdk:"actor_id"`
	ActorEmail types.String `tfsdk:"actor_email"`
	TargetType types.String `tfsdk:"target_type"`
	TargetID   types.String `tfsdk:"target_id"`
	RequestID  types.String `tfsdk:"request_id"`
	BeforeJSON types.String `tfsdk:"before_json"`
	AfterJSON  types.String `tfsdk:"after_json"`
}

// auditDataAttributes are the attributes of auditDataModel, all computed.
func auditDataAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":          computedString("The event's id, such as `evt_42`."),
		"time":        computedString("When the change was made (RFC 3339)."),
		"action":      computedString("What was done, such as `user.updated`."),
		"actor_type":  computedString("Who made the change: `user` (a person's API token), `operator` (a portal admin's token) or `public` (a person following an emailed link)."),
		"actor_id":    computedString("The id of the user or operator token that made the change."),
		"actor_email": computedString("The email address of the user who made the change, or `\"\"`."),
		"target_type": computedString("The kind of object changed: `user`, `invite`, `role`, `partner` or `token`."),
		"target_id":   computedString("The id (for a role, the key) of the object changed."),
		"request_id":  computedString("The request id of the change, as in the portal's logs and `X-Request-Id`."),
		"before_json": computedString("The object before the change, JSON-encoded (decode with `jsondecode`), or `\"\"` when it was created."),
		"after_json":  computedString("The object after the change, JSON-encoded (decode with `jsondecode`), or `\"\"` when it was deleted."),
	}
}

func auditDataFromAPI(e api.AuditEvent, diags *diag.Diagnostics) auditDataModel {
	return auditDataModel{
		ID:         types.StringValue(e.ID),
		Time:       timeValue(e.Time),
		Action:     types.StringValue(e.Action),
		ActorType:  types.StringValue(e.Actor.Type),
		ActorID:    types.StringValue(e.Actor.ID),
		ActorEmail: types.StringValue(e.Actor.Email),
		TargetType: types.StringValue(e.TargetType),
		TargetID:   types.StringValue(e.TargetID),
		RequestID:  types.StringValue(e.RequestID),
		BeforeJSON: jsonString(e.Before, diags),
		AfterJSON:  jsonString(e.After, diags),
	}
}

// jsonString is v JSON-encoded (keys sorted, so stable), or "" for nil.
func jsonString(v map[string]any, diags *diag.Diagnostics) types.String {
	if v == nil {
		return types.StringValue("")
	}
	b, err := json.Marshal(v)
	if err != nil {
		diags.AddError("Unable to encode audit event", err.Error())
	}
	return types.StringValue(string(b))
}
