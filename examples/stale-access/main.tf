# Find and remove stale access: the people of team.csv who have not used the
# portal for inactive_for (or never signed in and were added longer ago).
#
#   terraform apply                          # the team, and the report
#   terraform output stale_access            # who is stale
#   terraform plan -var remove_stale=true    # the change that removes them
#
# The removal guard (provider settings removal_guard_min and
# removal_guard_fraction) refuses a plan that removes more than 5 people and
# more than a quarter of the partner's users. Once the plan is reviewed, let
# it through for that run only:
#
#   PORTAL_REMOVAL_GUARD_MIN=12 terraform apply -var remove_stale=true
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

variable "inactive_for" {
  description = "How long without activity makes access stale, as a duration such as 720h (30 days)."
  type        = string
  default     = "720h"
}

variable "remove_stale" {
  description = "Remove the stale people's access (a soft delete, restorable) instead of only reporting them."
  type        = bool
  default     = false
}

# Who has not used the portal for inactive_for, by the portal's clock. Removed
# accounts are listed too, so that someone this configuration removed stays
# out of it (their last activity does not move) instead of being planned back.
data "portal_partner_users" "stale" {
  inactive_for    = var.inactive_for
  include_deleted = true
}

locals {
  team  = { for row in csvdecode(file("${path.module}/team.csv")) : lower(row.email) => row }
  stale = toset(data.portal_partner_users.stale.emails)
  # With remove_stale, the stale people leave the configuration, so the plan
  # removes them; everyone else stays as team.csv says.
  kept = { for email, row in local.team : email => row if !(var.remove_stale && contains(local.stale, email)) }
}

resource "portal_partner_user" "team" {
  for_each   = local.kept
  email      = each.key
  first_name = each.value.first_name
  last_name  = each.value.last_name
  roles      = [each.value.role]
}

output "stale_access" {
  description = "The people of the team with no activity for inactive_for: email, roles, and when they were last active (null: never)."
  value = [
    for u in data.portal_partner_users.stale.users : {
      email            = u.email
      roles            = sort(tolist(u.roles))
      last_activity_at = u.last_activity_at
      created_at       = u.created_at
    }
    if contains(keys(local.team), lower(u.email)) && u.status != "deleted"
  ]
}
