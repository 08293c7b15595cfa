terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# The partner's roles, built-in and custom, highest rank first.
data "portal_roles" "all" {}

locals {
  role_keys = [for r in data.portal_roles.all.roles : r.key]
  people = {
    "leo.rossi@acme.example"      = ["manager"]
    "ivy.chen@contractor.example" = ["member", "read_only"]
  }
}

# Fail the plan early, naming the person, when a role does not exist.
resource "portal_partner_user" "team" {
  for_each = local.people

  email = each.key
  roles = each.value

  lifecycle {
    precondition {
      condition     = alltrue([for r in each.value : contains(local.role_keys, r)])
      error_message = "${each.key} has a role that is not one of: ${join(", ", local.role_keys)}."
    }
  }
}

output "custom_roles" {
  value = { for r in data.portal_roles.all.roles : r.key => r.permissions if !r.built_in }
}
