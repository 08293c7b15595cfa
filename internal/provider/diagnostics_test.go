package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

func TestAddAPIError(t *testing.T) {
	var diags diag.Diagnostics
	if addAPIError(&diags, "Unable to do it", "user usr_1", nil) || len(diags) != 0 {
		t.Fatalf("a nil error added %v", diags)
	}

	taken := &client.APIError{StatusCode: 409, Code: api.CodeEmailTaken, Detail: "email a@acme.test is already user usr_2", RequestID: "req_1"}
	if !addAPIError(&diags, "Unable to create partner user", "creating user a@acme.test", taken,
		defaultAttribute(path.Root("email")), withHint("Adopt it with an import block."), withHint("")) {
		t.Fatal("an error reported no diagnostic")
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	if len(diags) != 1 || !ok || !d.Path().Equal(path.Root("email")) {
		t.Fatalf("got %v, want one error on email", diags)
	}
	want := "creating user a@acme.test: the portal answered 409 email_taken: email a@acme.test is already user usr_2\n(request id req_1)\n\nAdopt it with an import block."
	if d.Summary() != "Unable to create partner user" || d.Detail() != want {
		t.Errorf("got %q / %q,\nwant the summary and %q", d.Summary(), d.Detail(), want)
	}

	diags = nil
	addAPIError(&diags, "Unable to read partner user", "user usr_1", errors.New("connection refused"))
	if _, onPath := diags[0].(diag.DiagnosticWithPath); onPath || !strings.Contains(diags[0].Detail(), "user usr_1: connection refused") {
		t.Errorf("got %v, want one error on no attribute", diags)
	}
}

// TestAddAPIErrorOnTheServersField: a field the server names lands on its
// own attribute, before the default one, and its message, which the
// problem's detail already states, is not repeated.
func TestAddAPIErrorOnTheServersField(t *testing.T) {
	past := &client.APIError{StatusCode: 422, Code: api.CodeValidationFailed, Detail: "access_expires_at: must be in the future",
		FieldErrors: []api.FieldError{{Field: "access_expires_at", Code: "in_past", Message: "must be in the future"}}}
	var diags diag.Diagnostics
	addAPIError(&diags, "Unable to create partner user", "creating user a@acme.test", past, defaultAttribute(path.Root("email")))
	d, ok := diags[0].(diag.DiagnosticWithPath)
	if len(diags) != 1 || !ok || !d.Path().Equal(path.Root("access_expires_at")) {
		t.Fatalf("got %v, want one error on access_expires_at", diags)
	}
	if n := strings.Count(d.Detail(), "must be in the future"); n != 1 {
		t.Errorf("the server's message appears %d times in %q, want once", n, d.Detail())
	}

	// A field error the detail does not state is listed.
	two := &client.APIError{StatusCode: 422, Code: api.CodeValidationFailed, Detail: "2 fields are invalid",
		FieldErrors: []api.FieldError{{Field: "lifetime_seconds", Message: "at most 30 days"}, {Field: "email", Message: "not an address"}}}
	diags = nil
	addAPIError(&diags, "Unable to invite", "inviting a@acme.test", two, defaultAttribute(path.Root("email")))
	d, _ = diags[0].(diag.DiagnosticWithPath)
	if !d.Path().Equal(path.Root("lifetime")) || !strings.Contains(d.Detail(), "- lifetime_seconds: at most 30 days\n  - email: not an address") {
		t.Errorf("got %v: %q, want it on lifetime, listing both fields", d.Path(), d.Detail())
	}
}
