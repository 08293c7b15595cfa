# One user by email (case-insensitive), for instance to grant a role to a
# person whose account is managed elsewhere.
data "portal_partner_user" "ana" {
  email = "ana.silva@acme.example"
}

resource "portal_role_assignment" "ana_billing" {
  user_id = data.portal_partner_user.ana.id
  role    = "billing"
}

# Or by id.
data "portal_partner_user" "by_id" {
  id = "usr_0123abcd"
}

output "ana_roles" {
  value = data.portal_partner_user.ana.roles
}
