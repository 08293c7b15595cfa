terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# A person with exactly these roles: a role added or removed in the portal by
# hand shows in the plan, and apply puts it back.
resource "portal_partner_user" "ana" {
  email      = "ana.silva@acme.example"
  first_name = "Ana"
  last_name  = "Silva"
  phone      = "+351912345678"
  roles      = ["manager"]
}

# Temporary access for a contractor: it ends by itself.
resource "portal_partner_user" "contractor" {
  email             = "noor.khan@contractor.example"
  roles             = ["member"]
  access_expires_at = "2027-03-31T18:00:00Z"
}

# Roles left to portal_role_assignment: never shown as drift here. Restores
# the account if this email belonged to a removed user.
resource "portal_partner_user" "auditor" {
  email              = "ines.moreau@acme.example"
  restore_if_deleted = true
}

# What Ana may do, known at plan time from her roles: a role change shows
# the permissions it grants or takes away, such as + "users.manage".
output "ana_permissions" {
  value = portal_partner_user.ana.permissions
}
