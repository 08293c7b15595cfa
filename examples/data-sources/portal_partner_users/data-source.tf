terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Every live user of the partner.
data "portal_partner_users" "all" {}

# Adopt them all into Terraform (Terraform 1.7+): one import block per user,
# keyed by email, then write (or generate with -generate-config-out) the
# matching portal_partner_user.team resources.
import {
  for_each = { for u in data.portal_partner_users.all.users : u.email => u }
  to       = portal_partner_user.team[each.key]
  id       = each.value.id
}

resource "portal_partner_user" "team" {
  for_each = { for u in data.portal_partner_users.all.users : u.email => u }

  email      = each.value.email
  first_name = each.value.first_name
  last_name  = each.value.last_name
  roles      = each.value.roles
}

# Report people with access who are not managed in code.
locals {
  managed_emails = toset(["ray.ortiz@acme.example", "uma.patel@contractor.example"])
}

output "unmanaged_access" {
  value = setsubtract(data.portal_partner_users.all.emails, local.managed_emails)
}

# Filters: role, status (invited, active, expired, deleted), email domain.
data "portal_partner_users" "contractor_members" {
  role         = "member"
  email_domain = "contractor.example"
}

data "portal_partner_users" "expired" {
  status = "expired"
}

# Removed (soft-deleted) users too, with status "deleted".
data "portal_partner_users" "including_removed" {
  include_deleted = true
}

# Stale access: nobody has used these accounts for 90 days (or they never
# signed in and were added longer ago). See the guide "Find and remove stale
# access".
data "portal_partner_users" "stale" {
  inactive_for = "2160h"
}

output "stale_access" {
  value = [for u in data.portal_partner_users.stale.users : "${u.email} (last active ${coalesce(u.last_activity_at, "never")})"]
}
