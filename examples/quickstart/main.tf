# Quickstart: a partner's team onboarded from a CSV, one portal_partner_user
# per row. `make demo` applies it against a local portald.
#
# The provider reads PORTAL_ENDPOINT, PORTAL_API_TOKEN and PORTAL_PARTNER_ID.

terraform {
  required_version = ">= 1.7"
  required_providers {
    portal = {
      source = "partnerportal/portal"
    }
  }
}

provider "portal" {}

locals {
  # Keyed by lower-cased email: the login, unique across the portal.
  team = { for row in csvdecode(file("${path.module}/team.csv")) : lower(row.email) => row }
}

resource "portal_partner_user" "team" {
  for_each = local.team

  email      = each.value.email
  first_name = each.value.first_name
  last_name  = each.value.last_name
  phone      = each.value.phone
  roles      = toset(split(" ", each.value.roles))
}

output "user_ids" {
  description = "Portal user id of each person, by email."
  value       = { for email, user in portal_partner_user.team : email => user.id }
}
