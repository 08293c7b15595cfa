package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// validatorCase is one value given to a string validator. wantDetail is ""
// when the value is valid; otherwise every one of its "|"-separated parts
// must appear in the one error's detail.
type validatorCase struct {
	name       string
	value      types.String
	wantDetail string
}

// checkStringValidator runs v on each case at an attribute path, as the
// framework does at plan time, and checks the diagnostics: none for a valid
// value; for an invalid one, exactly one error at that path, summarised
// "Invalid <what>", whose detail quotes the value and explains it.
func checkStringValidator(t *testing.T, v validator.String, wantSummary string, cases []validatorCase) {
	t.Helper()
	ctx := context.Background()
	at := path.Root("resource_attr").AtListIndex(2)
	if got := v.Description(ctx); "Invalid "+got != wantSummary || v.MarkdownDescription(ctx) != got {
		t.Errorf("Description = %q, MarkdownDescription = %q; want both to name what %q checks", got, v.MarkdownDescription(ctx), wantSummary)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &validator.StringResponse{}
			v.ValidateString(ctx, validator.StringRequest{Path: at, PathExpression: at.Expression(), ConfigValue: tc.value}, resp)
			if tc.wantDetail == "" {
				if resp.Diagnostics.HasError() || len(resp.Diagnostics) != 0 {
					t.Fatalf("%s: want no diagnostics, got %v", tc.value, resp.Diagnostics)
				}
				return
			}
			d := oneError(t, resp.Diagnostics)
			if d.Summary() != wantSummary {
				t.Errorf("summary = %q, want %q", d.Summary(), wantSummary)
			}
			for part := range strings.SplitSeq(tc.wantDetail, "|") {
				if !strings.Contains(d.Detail(), part) {
					t.Errorf("detail = %q, want it to contain %q", d.Detail(), part)
				}
			}
			wp, ok := d.(diag.DiagnosticWithPath)
			if !ok || !wp.Path().Equal(at) {
				t.Errorf("diagnostic path = %v, want %s", d, at)
			}
		})
	}
}

// oneError is the one diagnostic of diags, which must be an error.
func oneError(t *testing.T, diags diag.Diagnostics) diag.Diagnostic {
	t.Helper()
	if len(diags) != 1 || diags.ErrorsCount() != 1 {
		t.Fatalf("want exactly one error, got %d diagnostics: %v", len(diags), diags)
	}
	return diags[0]
}

// nullAndUnknown are values every validator leaves alone: a null value is
// unset, and an unknown one is checked once it is known.
var nullAndUnknown = []validatorCase{
	{"null", types.StringNull(), ""},
	{"unknown", types.StringUnknown(), ""},
}

func TestValidEmail(t *testing.T) {
	checkStringValidator(t, validEmail(), "Invalid email address", append([]validatorCase{
		{"plain", types.StringValue("ana@example.com"), ""},
		{"plus and subdomain", types.StringValue("ana+ops@mail.example.co.uk"), ""},
		{"unicode domain", types.StringValue("w@bücher.example"), ""},
		{"display name", types.StringValue("Ana <ana@example.com>"), `"Ana <ana@example.com>" is not a valid email address|ana@example.com`},
		{"no at", types.StringValue("ana.example.com"), `"ana.example.com" is not a valid email address`},
		{"undotted domain", types.StringValue("ana@localhost"), `"ana@localhost"`},
		{"trailing dot", types.StringValue("ana@example.com."), `"ana@example.com."`},
		{"leading space", types.StringValue(" ana@example.com"), "without a display name or spaces"},
		{"newline", types.StringValue("ana@example.com\n"), `"ana@example.com\n"`},
		{"bidi override", types.StringValue("ana\u202e@example.com"), "is not a valid email address"},
		{"empty", types.StringValue(""), `"" is not a valid email address`},
		{"too long", types.StringValue(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"), "is not a valid email address"},
	}, nullAndUnknown...))
}

func TestValidPhone(t *testing.T) {
	checkStringValidator(t, validPhone(), "Invalid E.164 phone number", append([]validatorCase{
		{"US", types.StringValue("+14155550123"), ""},
		{"shortest", types.StringValue("+1234567"), ""},
		{"longest", types.StringValue("+123456789012345"), ""},
		{"empty means none", types.StringValue(""), ""},
		{"no plus", types.StringValue("14155550123"), `"14155550123" is not an E.164 phone number|+14155550123`},
		{"spaces", types.StringValue("+1 415 555 0123"), `"+1 415 555 0123"|no spaces`},
		{"too short", types.StringValue("+123456"), "7 to 15 digits"},
		{"too long", types.StringValue("+1234567890123456"), "7 to 15 digits"},
		{"leading zero", types.StringValue("+0123456789"), "is not an E.164 phone number"},
	}, nullAndUnknown...))
}

func TestValidRoleKey(t *testing.T) {
	checkStringValidator(t, validRoleKey(), "Invalid role key", append([]validatorCase{
		{"built-in", types.StringValue("read_only"), ""},
		{"two characters", types.StringValue("ab"), ""},
		{"32 characters", types.StringValue("a" + strings.Repeat("b", 31)), ""},
		{"one character", types.StringValue("a"), `"a" is not a role key|2 to 32`},
		{"33 characters", types.StringValue("a" + strings.Repeat("b", 32)), "is not a role key"},
		{"upper case", types.StringValue("Admin"), `"Admin"|lower-case`},
		{"leading digit", types.StringValue("1admin"), "starting with a letter"},
		{"hyphen", types.StringValue("read-only"), `"read-only" is not a role key`},
		{"empty", types.StringValue(""), `"" is not a role key`},
	}, nullAndUnknown...))
}

func TestValidRFC3339(t *testing.T) {
	checkStringValidator(t, validRFC3339(), "Invalid RFC 3339 time", append([]validatorCase{
		{"UTC", types.StringValue("2027-01-31T18:00:00Z"), ""},
		{"offset", types.StringValue("2027-01-31T19:00:00+01:00"), ""},
		{"fraction", types.StringValue("2027-01-31T18:00:00.5Z"), ""},
		{"date only", types.StringValue("2027-01-31"), `"2027-01-31" is not an RFC 3339 time|2027-01-31T18:00:00Z`},
		{"no zone", types.StringValue("2027-01-31T18:00:00"), `"2027-01-31T18:00:00"`},
		{"space", types.StringValue("2027-01-31 18:00:00Z"), "is not an RFC 3339 time"},
		{"month 13", types.StringValue("2027-13-01T00:00:00Z"), "is not an RFC 3339 time"},
		{"empty", types.StringValue(""), `"" is not an RFC 3339 time`},
	}, nullAndUnknown...))
}

func TestDurationBetween(t *testing.T) {
	const want = "duration from 1m30s to 720h0m0s"
	checkStringValidator(t, durationBetween(90*time.Second, 30*24*time.Hour), "Invalid "+want, append([]validatorCase{
		{"lower bound", types.StringValue("90s"), ""},
		{"lower bound in minutes", types.StringValue("1.5m"), ""},
		{"upper bound", types.StringValue("720h"), ""},
		{"mixed units", types.StringValue("1h30m"), ""},
		{"below", types.StringValue("89s"), `"89s" is not a ` + want + "|72h or 90m"},
		{"above", types.StringValue("720h1s"), `"720h1s" is not a ` + want},
		{"days", types.StringValue("7d"), `"7d"|hours are the largest unit`},
		{"negative", types.StringValue("-1h"), `"-1h" is not a`},
		{"bare number", types.StringValue("90"), `"90" is not a`},
		{"empty", types.StringValue(""), `"" is not a`},
	}, nullAndUnknown...))
}

func TestNotBuiltinRole(t *testing.T) {
	checkStringValidator(t, notBuiltinRole(), "Invalid custom role key", append([]validatorCase{
		{"custom", types.StringValue("billing"), ""},
		{"like a built-in", types.StringValue("owners"), ""},
		{"another case", types.StringValue("Owner"), ""}, // validRoleKey refuses it
		{"owner", types.StringValue("owner"), `"owner" is the key of a built-in role|a key of its own`},
		{"read_only", types.StringValue("read_only"), `"read_only" is the key of a built-in role`},
		{"member", types.StringValue("member"), "cannot be defined again"},
	}, nullAndUnknown...))
}
