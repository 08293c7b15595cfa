package provider

import (
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
