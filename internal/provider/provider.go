// Package provider is the Terraform provider "portal": partner users, their
// roles, invitations and role grants over Portal API v1.
package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// Environment variables read when the provider block leaves a setting out.
const (
	envEndpoint  = "PORTAL_ENDPOINT"
	envToken     = "PORTAL_API_TOKEN"
	envPartnerID = "PORTAL_PARTNER_ID"

	envRemovalGuardFraction = "PORTAL_REMOVAL_GUARD_FRACTION"
	envRemovalGuardMin      = "PORTAL_REMOVAL_GUARD_MIN"
)

var (
	_ provider.Provider                  = &portalProvider{}
	_ provider.ProviderWithActions       = &portalProvider{}
	_ provider.ProviderWithListResources = &portalProvider{}
)

// New returns the provider's constructor for a release version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &portalProvider{version: version} }
}

type portalProvider struct {
	version string
}

type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	APIToken       types.String `tfsdk:"api_token"`
	PartnerID      types.String `tfsdk:"partner_id"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`

	RemovalGuardFraction types.Float64 `tfsdk:"removal_guard_fraction"`
	RemovalGuardMin      types.Int64   `tfsdk:"removal_guard_min"`
}

func (p *portalProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "portal"
	resp.Version = p.version
}

func (p *portalProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages who has access to a partner portal that speaks Portal API v1: partner users and their roles, invitations and single role grants.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				Optional:    true,
				Description: "Base URL of the portal, such as `https://portal.example.com` (the `/v1` routes are appended). Falls back to the `" + envEndpoint + "` environment variable.",
			},
			"api_token": schema.StringAttribute{
				Optional:    true,
				Sensitive:   true,
				Description: "API token, sent as a bearer token. It is never logged nor stored in state. Falls back to the `" + envToken + "` environment variable, which is the better place for it.",
			},
			"partner_id": schema.StringAttribute{
				Optional:    true,
				Description: "Default partner for resources and data sources that do not set `partner_id`. Falls back to the `" + envPartnerID + "` environment variable, then to the partner of a partner API token.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:    true,
				Description: "How many times a request that is safe to retry (reads, and creates carrying an `Idempotency-Key`) is tried again after a rate limit, a 5xx answer or a connection error. Default 4; 0 turns retries off.",
			},
			"request_timeout": schema.StringAttribute{
				Optional:    true,
				Description: "Time limit of one HTTP attempt, as a Go duration such as `30s` or `1m`. Default `30s`.",
			},
			"removal_guard_fraction": schema.Float64Attribute{
				Optional: true,
				Description: "The removal guard: a plan that takes away the access of more people of a partner than both this fraction of the partner's users " +
					"(those not removed) and `removal_guard_min` fails, at plan and again when apply plans anew. From 0 to 1; default `0.25`; `1` turns the guard off. " +
					"Falls back to the `" + envRemovalGuardFraction + "` environment variable. See the guide \"Find and remove stale access\".",
			},
			"removal_guard_min": schema.Int64Attribute{
				Optional: true,
				Description: "The removal guard's floor: a plan may always remove this many people of a partner, whatever their fraction. Default `5`. " +
					"Falls back to the `" + envRemovalGuardMin + "` environment variable, which is how to let one larger removal through for one run " +
					"(`" + envRemovalGuardMin + "=40 terraform apply`).",
			},
		},
	}
}

func (p *portalProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for attr, v := range map[string]types.String{"endpoint": cfg.Endpoint, "api_token": cfg.APIToken, "partner_id": cfg.PartnerID} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Unknown provider setting",
				"The provider's "+attr+" depends on a value that is known only after apply. Set it from a value known at plan time, or from the environment.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	endpoint := stringOr(cfg.Endpoint, os.Getenv(envEndpoint))
	token := stringOr(cfg.APIToken, os.Getenv(envToken))
	partnerID := stringOr(cfg.PartnerID, os.Getenv(envPartnerID))
	if endpoint == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing portal endpoint",
			"Set endpoint in the provider block or the "+envEndpoint+" environment variable, for example http://127.0.0.1:8080.")
	}
	if token == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_token"), "Missing portal API token",
			"Set the "+envToken+" environment variable (or api_token in the provider block) to an API token of the portal.")
	}
	timeout := 30 * time.Second
	if !cfg.RequestTimeout.IsNull() && !cfg.RequestTimeout.IsUnknown() {
		d, err := time.ParseDuration(cfg.RequestTimeout.ValueString())
		if err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("request_timeout"), "Invalid request timeout",
				fmt.Sprintf("%q is not a positive duration such as 30s or 2m.", cfg.RequestTimeout.ValueString()))
		}
		timeout = d
	}
	retries := 4
	if !cfg.MaxRetries.IsNull() && !cfg.MaxRetries.IsUnknown() {
		n := cfg.MaxRetries.ValueInt64()
		if n < 0 || n > 20 {
			resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Invalid max_retries", "max_retries must be from 0 to 20.")
		}
		retries = int(n)
		if n == 0 {
			retries = -1 // the client reads 0 as "default"
		}
	}
	guard := readRemovalGuard(cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	c, err := client.New(client.Config{
		Endpoint:       endpoint,
		Token:          token,
		MaxRetries:     retries,
		RequestTimeout: timeout,
		UserAgent:      "terraform-provider-portal/" + p.version + " Terraform/" + req.TerraformVersion,
		Logger:         tfLogger{token: token},
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid portal client configuration", err.Error())
		return
	}
	data := newProviderData(c, partnerID)
	data.guard = guard
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

func (p *portalProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newUserResource,
		newInviteResource,
		newRoleAssignmentResource,
		newRoleResource,
		newRosterResource,
	}
}

// ListResources are what `terraform query` lists (Terraform 1.14+), each
// named as the resource it finds.
func (p *portalProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		newUserList,
		newInviteList,
		newRoleList,
	}
}

func (p *portalProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newPartnerDataSource,
		newUserDataSource,
		newUsersDataSource,
		newInvitesDataSource,
		newRolesDataSource,
		newAuditEventsDataSource,
	}
}

// Actions are Terraform 1.14's: a Terraform that has none never asks for them.
func (p *portalProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		newInviteResendAction,
		newPasswordResetAction,
	}
}

func stringOr(v types.String, fallback string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return fallback
	}
	return v.ValueString()
}

// tfLogger sends the client's request log to tflog, masking the token in
// case anything ever carried it.
type tfLogger struct{ token string }

func (l tfLogger) mask(ctx context.Context) context.Context {
	ctx = tflog.MaskMessageStrings(ctx, l.token)
	return tflog.MaskAllFieldValuesStrings(ctx, l.token)
}

func (l tfLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(l.mask(ctx), msg, fields)
}

func (l tfLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	tflog.Info(l.mask(ctx), msg, fields)
}

func (l tfLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(l.mask(ctx), msg, fields)
}
