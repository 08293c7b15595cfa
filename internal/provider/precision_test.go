package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestTimesAtThePortalsPrecision: the portal keeps times to the microsecond
// and durations to the second, so a finer value is refused at plan time
// rather than sent and read back as another value.
func TestTimesAtThePortalsPrecision(t *testing.T) {
	for _, c := range []struct {
		v     validator.String
		value string
		want  string // "" for valid
	}{
		{validRFC3339(), "2027-03-31T18:00:00.123456Z", ""},
		{validRFC3339(), "2027-03-31T20:00:00.999999+02:00", ""},
		{validRFC3339(), "2027-03-31T18:00:00.123456000Z", ""},
		{validRFC3339(), "2027-03-31T18:00:00.1234567Z", "finer than a microsecond"},
		{validRFC3339(), "2027-03-31T18:00:00.123456789Z", "finer than a microsecond"},
		{durationBetween(time.Minute, time.Hour), "90s", ""},
		{durationBetween(time.Minute, time.Hour), "1m30.5s", "whole seconds"},
		{durationBetween(time.Minute, time.Hour), "2m1ms", "whole seconds"},
	} {
		resp := &validator.StringResponse{}
		at := path.Root("access_expires_at")
		c.v.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: types.StringValue(c.value)}, resp)
		switch {
		case c.want == "" && resp.Diagnostics.HasError():
			t.Errorf("%s: refused: %v", c.value, resp.Diagnostics)
		case c.want != "" && (resp.Diagnostics.ErrorsCount() != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), c.want)):
			t.Errorf("%s: got %v, want one error saying %q", c.value, resp.Diagnostics, c.want)
		}
	}
}

// TestKeepInstant: a time read back is written to the microsecond, and the
// prior spelling is kept only for the same instant.
func TestKeepInstant(t *testing.T) {
	stored := time.Date(2027, 3, 31, 18, 0, 0, 999999000, time.UTC)
	for prior, want := range map[types.String]string{
		types.StringNull(): "2027-03-31T18:00:00.999999Z",
		types.StringValue("2027-03-31T20:00:00.999999+02:00"): "2027-03-31T20:00:00.999999+02:00",
		types.StringValue("2027-03-31T18:00:00Z"):             "2027-03-31T18:00:00.999999Z",
	} {
		if got := keepInstant(prior, &stored); got.ValueString() != want {
			t.Errorf("keepInstant(%s) = %s, want %s", prior, got, want)
		}
	}
}
