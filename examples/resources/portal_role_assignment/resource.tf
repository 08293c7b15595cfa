terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# One role granted to a user whose other roles are managed elsewhere (by
# hand in the portal, or by another team's configuration). Pick this over
# roles on portal_partner_user when Terraform should own only this grant:
# roles on the user is authoritative and would remove every role not listed,
# while an assignment adds its role and leaves the others alone. Do not use
# both for the same user.
resource "portal_role_assignment" "kim_member" {
  user_id = "usr_0123456789abcdef"
  role    = "member"
}

# The user may come from this configuration too, as long as its roles are
# left unset there.
resource "portal_partner_user" "auditor" {
  email = "kim.park@acme.example"
}

resource "portal_role_assignment" "auditor_read_only" {
  user_id = portal_partner_user.auditor.id
  role    = "read_only"
}
