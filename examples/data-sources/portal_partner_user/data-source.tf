terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# One user by email (case-insensitive), for instance to grant a role to a
# person whose account is managed elsewhere.
data "portal_partner_user" "zoe" {
  email = "zoe.martin@acme.example"
}

resource "portal_role_assignment" "zoe_billing" {
  user_id = data.portal_partner_user.zoe.id
  role    = "billing"
}

# Or by id.
data "portal_partner_user" "by_id" {
  id = "usr_0123abcd"
}

output "zoe_roles" {
  value = data.portal_partner_user.zoe.roles
}
