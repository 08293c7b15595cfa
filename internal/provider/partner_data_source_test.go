package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestAccDataSourcePartner_defaultAndByID(t *testing.T) {
	a := newAcc(t)
	name := "Acme Corp"
	a.updatePartner(api.PartnerUpdate{Name: &name, Settings: &api.PartnerSettings{UserAdminMinRole: api.RoleAdmin}})
	want := func(addr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			dataValue(addr, "id", knownvalue.StringExact(a.PartnerID)),
			dataValue(addr, "name", knownvalue.StringExact(name)),
			dataValue(addr, "user_admin_min_role", knownvalue.StringExact(api.RoleAdmin)),
			dataValue(addr, "created_at", knownvalue.NotNull()),
			dataValue(addr, "updated_at", knownvalue.NotNull()),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + fmt.Sprintf(`
data "portal_partner" "default" {}
data "portal_partner" "by_id" {
  id = %[1]q
}
`, a.PartnerID),
				ConfigStateChecks: append(want("portal_partner.default"), want("portal_partner.by_id")...),
			},
			{
				Config:      a.provider("") + "data \"portal_partner\" \"missing\" {\n  id = \"prt_missing\"\n}\n",
				ExpectError: regexp.MustCompile(`(?s)Unable to read partner.*404 not_found`),
			},
		},
	})
}
