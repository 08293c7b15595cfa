terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# The partner the provider acts for (its partner_id, or the API token's).
data "portal_partner" "current" {}

output "partner" {
  value = "${data.portal_partner.current.name} (${data.portal_partner.current.id}); users are managed by ${data.portal_partner.current.user_admin_min_role} and above"
}

# Another partner, by id (operator tokens may read any partner).
data "portal_partner" "reseller" {
  id = "prt_0123abcd"
}
