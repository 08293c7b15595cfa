package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Conversions between the API's values and the framework's, shared by the
// resources and data sources.

// setStrings reads a set of strings, sorted; null or unknown is an empty list.
func setStrings(ctx context.Context, s types.Set) ([]string, diag.Diagnostics) {
	out := []string{}
	if s.IsNull() || s.IsUnknown() {
		return out, nil
	}
	diags := s.ElementsAs(ctx, &out, false)
	slices.Sort(out)
	return out, diags
}

// stringSet is a set of strings; nil is the empty set.
func stringSet(ctx context.Context, s []string) (types.Set, diag.Diagnostics) {
	if s == nil {
		s = []string{}
	}
	return types.SetValueFrom(ctx, types.StringType, s)
}

// timeValue writes an API time as state holds it: RFC 3339 in UTC.
func timeValue(t time.Time) types.String {
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

// timeString is timeValue for an optional time; nil is null.
func timeString(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return timeValue(*t)
}

// keepInstant is the API's time, but the prior string when it names the
// same instant (the same time written with an offset, say).
func keepInstant(prior types.String, t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	if p, err := time.Parse(time.RFC3339, prior.ValueString()); err == nil && p.Equal(*t) {
		return prior
	}
	return timeValue(*t)
}

// parseInstant reads an RFC 3339 time; false when null, unknown or not a time.
func parseInstant(v types.String) (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}

// keepDuration is the prior duration string when it means the same number of
// seconds, else the API's seconds as a duration; zero is null (or def).
func keepDuration(prior types.String, seconds int64, def string) types.String {
	if seconds == 0 && def == "" {
		return types.StringNull()
	}
	if d, err := time.ParseDuration(prior.ValueString()); err == nil && int64(d.Seconds()) == seconds {
		return prior
	}
	if seconds == 0 {
		return types.StringValue(def)
	}
	return types.StringValue(compactDuration(time.Duration(seconds) * time.Second))
}

// compactDuration writes 168h rather than Go's 168h0m0s.
func compactDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func backquoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = "`" + v + "`"
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
