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
		onAttribute(path.Root("email")), withHint("Adopt it with an import block."), withHint("")) {
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
