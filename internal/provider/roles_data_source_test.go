package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

func TestAccDataSourceRoles_builtInAndCustomByRank(t *testing.T) {
	a := newAcc(t)
	a.role(api.RoleCreate{
		Key: "billing", Name: "Billing", Description: "Pays the invoices.", Rank: 50, Permissions: []string{api.PermDataRead, api.PermPartnerRead},
	})
	role := func(key string, rank int64, builtIn bool) knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"key": knownvalue.StringExact(key), "rank": knownvalue.Int64Exact(rank), "built_in": knownvalue.Bool(builtIn),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: a.provider("") + "data \"portal_roles\" \"all\" {}\n",
			ConfigStateChecks: []statecheck.StateCheck{
				dataValue("portal_roles.all", "partner_id", knownvalue.StringExact(a.PartnerID)),
				dataValue("portal_roles.all", "roles", knownvalue.ListExact([]knownvalue.Check{
					role("owner", 100, true), role("admin", 80, true), role("manager", 60, true),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"key":         knownvalue.StringExact("billing"),
						"name":        knownvalue.StringExact("Billing"),
						"description": knownvalue.StringExact("Pays the invoices."),
						"rank":        knownvalue.Int64Exact(50),
						"permissions": stringSetOf(api.PermDataRead, api.PermPartnerRead),
						"built_in":    knownvalue.Bool(false),
					}),
					role("member", 40, true), role("read_only", 20, true),
				})),
			},
		}},
	})
}
