package provider

import (
	"fmt"
	"net"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccProvider_missingSettingsAreNamed(t *testing.T) {
	a := newAcc(t)
	t.Setenv(envEndpoint, "")
	t.Setenv(envToken, "")
	t.Setenv(envPartnerID, "")
	cases := []struct {
		name, config, want string
	}{
		{"endpoint", `provider "portal" { api_token = "x" }`, `(?s)Missing portal endpoint.*PORTAL_ENDPOINT`},
		{"token", `provider "portal" { endpoint = "` + a.URL + `" }`, `(?s)Missing portal API token.*PORTAL_API_TOKEN`},
		{"timeout", `provider "portal" {
  endpoint        = "` + a.URL + `"
  api_token       = "x"
  request_timeout = "soon"
}`, `(?s)Invalid request timeout`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps: []resource.TestStep{{
					Config:      c.config + userConfig(`  email = "x@acme.test"`),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(c.want),
				}},
			})
		})
	}
}

func TestAccProvider_environmentAndTokenPartner(t *testing.T) {
	a := newAcc(t)
	// Everything from the environment; the partner comes from the token itself.
	t.Setenv(envEndpoint, a.URL)
	t.Setenv(envToken, a.OwnerToken)
	t.Setenv(envPartnerID, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{{
			Config: `provider "portal" {}` + userConfig(`  email = "env@acme.test"`),
			Check:  resource.TestCheckResourceAttr(userAddr, "partner_id", a.PartnerID),
		}},
	})
}

// closedEndpoint is the URL of a loopback port nothing listens on, so that
// connections to it are refused.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

// With no partner_id anywhere, the partner is the API token's, which GET
// /v1/me tells: when the endpoint cannot be reached, the error says that and
// names it, wherever the partner was needed, rather than "No partner".
func TestAccProvider_unreachableEndpointIsNamedNotNoPartner(t *testing.T) {
	t.Setenv(envPartnerID, "")
	endpoint := closedEndpoint(t)
	providerBlock := fmt.Sprintf("provider \"portal\" {\n  endpoint    = %q\n  api_token   = \"ptk_any\"\n  max_retries = 0\n}\n", endpoint)
	want := regexp.MustCompile(`(?s)Cannot reach the portal.*GET /v1/me.*cannot reach the endpoint ` + regexp.QuoteMeta(endpoint))
	noPartner := regexp.MustCompile(`No partner`)
	for name, config := range map[string]string{
		"data source": `data "portal_partner_users" "all" {}`,
		"resource":    userConfig(`  email = "x@acme.test"`),
		"import": `import {
  to = portal_partner_user.test
  id = "usr_0123abcd"
}
` + userConfig(`  email = "x@acme.test"`),
	} {
		t.Run(name, func(t *testing.T) {
			requireAcc(t)
			failed := false
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				ErrorCheck: func(err error) error {
					failed = true
					if !want.MatchString(err.Error()) || noPartner.MatchString(err.Error()) {
						return fmt.Errorf("want %q and no %q, got: %w", want, noPartner, err)
					}
					return nil
				},
				Steps: []resource.TestStep{{Config: providerBlock + config, PlanOnly: true}},
			})
			if !failed {
				t.Fatal("the plan against an endpoint that refuses connections did not fail")
			}
		})
	}
}
