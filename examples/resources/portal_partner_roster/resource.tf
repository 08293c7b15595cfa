terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# A partner's whole team from a CSV file, as one resource: one listing of the
# partner's users reads everyone, and apply writes the changes in batches.
# A role, name or phone changed in the portal by hand shows in the plan as
# that one person changing; a person removed by hand is planned back.
locals {
  people = csvdecode(file("${path.module}/users.csv"))
}

resource "portal_partner_roster" "team" {
  users = {
    for p in local.people : p.email => {
      first_name        = p.first_name
      last_name         = p.last_name
      phone             = p.phone
      roles             = toset(compact(split(" ", p.roles)))
      access_expires_at = p.access_expires_at == "" ? null : p.access_expires_at
    }
  }

  # Restore a removed account whose email is in the file, rather than fail.
  restore_if_deleted = true

  # With exclusive = true, anyone of the partner not in the file (but the
  # API token's own account) is planned for removal.
  exclusive = false
}

output "roster_user_ids" {
  description = "Portal user id of each person, by email."
  value       = { for email, u in portal_partner_roster.team.users : email => u.id }
}
