package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

func TestTokenRefusal_firstInFullThenShort(t *testing.T) {
	var r tokenRefusal
	other := &client.APIError{StatusCode: 404, Code: "not_found"}
	if err := r.note(other); !errors.Is(err, other) || r.check() != nil {
		t.Fatalf("a 404: note = %v, check = %v; want it unchanged and no refusal", err, r.check())
	}
	first := &client.APIError{StatusCode: 401, Code: "unauthenticated", Detail: "token not recognised", RequestID: "req_1"}
	if err := r.note(first); !errors.Is(err, first) {
		t.Fatalf("first 401: note = %v, want it in full", err)
	}
	second := &client.APIError{StatusCode: 401, Code: "unauthenticated", RequestID: "req_2"}
	for _, err := range []error{r.note(second), r.check()} {
		if !errors.Is(err, errTokenRefused) || !errors.Is(err, client.ErrUnauthenticated) || firstRefusal(err) {
			t.Fatalf("after the first 401: %v, want errTokenRefused, matching ErrUnauthenticated", err)
		}
	}
	if !firstRefusal(first) || firstRefusal(other) {
		t.Fatal("firstRefusal: want true for the first 401 only")
	}
	var none *tokenRefusal // a userIndex without a run's refusal
	if none.check() != nil || !errors.Is(none.note(second), second) {
		t.Fatal("a nil tokenRefusal refuses nothing and changes nothing")
	}
}

// countRefusals is a TestCase.ErrorCheck for a step run with a wrong token:
// the portal's 401 is reported once in full, and each of the other
// resources (wantShort of them) says only that the token was refused.
func countRefusals(t *testing.T, wantShort int, seen *bool) resource.ErrorCheckFunc {
	return func(err error) error {
		*seen = true
		// Terraform wraps long lines: compare with runs of space as one.
		text := strings.Join(strings.Fields(err.Error()), " ")
		full := strings.Count(text, "the portal answered 401")
		short := strings.Count(text, "not sent, as the portal refused the API token earlier in this run")
		if full != 1 || short != wantShort {
			return fmt.Errorf("want the 401 once in full and %d short errors, got %d and %d:\n%w", wantShort, full, short, err)
		}
		t.Logf("one full 401 and %d short errors, as wanted", short)
		return nil
	}
}

// A new configuration of three users, planned with a wrong token: each
// user's plan reads the partner's roles to check its own, and the first
// refusal is the only full error.
func TestAccTokenRefusal_onePlanErrorForThreeUsers(t *testing.T) {
	a := newAcc(t)
	config := a.provider("ptk_wrong") + threeUsers
	var seen bool
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ErrorCheck:               countRefusals(t, 2, &seen),
		Steps:                    []resource.TestStep{{Config: config, PlanOnly: true}},
	})
	if !seen {
		t.Fatal("the plan with a wrong token did not fail")
	}
}

// A user, a role assignment and a role in state, refreshed with a wrong
// token: the shared read of the partner's users is refused once, the role's
// read is not sent, and so the 401 is reported once.
func TestAccTokenRefusal_oneRefreshErrorForThreeResources(t *testing.T) {
	a := newAcc(t)
	bo := a.user("bo@refused.test")
	config := func(token string) string {
		return a.provider(token) + fmt.Sprintf(`
resource "portal_partner_user" "ana" {
  email = "ana@refused.test"
  roles = ["member"]
}
resource "portal_role_assignment" "bo" {
  user_id = %q
  role    = "read_only"
}
resource "portal_role" "billing" {
  key         = "billing"
  name        = "Billing"
  rank        = 30
  permissions = ["data.read"]
}
`, bo.ID)
	}
	var seen bool
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ErrorCheck:               countRefusals(t, 2, &seen),
		Steps: []resource.TestStep{
			{Config: config("")},
			{Config: config("ptk_wrong"), PlanOnly: true},
			// Destroy needs a token the portal takes.
			{Config: config("")},
		},
	})
	if !seen {
		t.Fatal("the refresh with a wrong token did not fail")
	}
}

// A user, a role assignment and a data source, planned with a wrong token:
// one full 401 for the three kinds.
func TestAccTokenRefusal_onePlanErrorForThreeKinds(t *testing.T) {
	a := newAcc(t)
	held := a.user("held@refused.test", "member")
	var seen bool
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ErrorCheck:               countRefusals(t, 2, &seen),
		Steps: []resource.TestStep{{
			Config: a.provider("ptk_wrong") + fmt.Sprintf(`
resource "portal_partner_user" "ana" {
  email = "ana@refused.test"
  roles = ["member"]
}
resource "portal_role_assignment" "held" {
  user_id = %q
  role    = "read_only"
}
data "portal_partner_users" "all" {}
`, held.ID),
			PlanOnly: true,
		}},
	})
	if !seen {
		t.Fatal("the plan with a wrong token did not fail")
	}
}

const threeUsers = `
resource "portal_partner_user" "ana" {
  email = "ana@refused.test"
  roles = ["member"]
}
resource "portal_partner_user" "bo" {
  email = "bo@refused.test"
  roles = ["member"]
}
resource "portal_partner_user" "cy" {
  email = "cy@refused.test"
  roles = ["read_only"]
}
`

// The error of a wrong token is the portal's 401, not a lack of partner.
func TestAccTokenRefusal_withoutPartnerSaysUnauthenticated(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:      fmt.Sprintf("provider \"portal\" {\n  endpoint  = %q\n  api_token = \"ptk_wrong\"\n}\n", a.URL) + `data "portal_partner_users" "all" {}`,
			ExpectError: regexp.MustCompile(`(?s)Unable to find the API token's partner.*answered 401`),
		}},
	})
}
