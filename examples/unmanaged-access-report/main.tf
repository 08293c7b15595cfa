# The report security reviewers ask for: who has access to the partner but is
# not managed in this configuration. Point managed_emails at the emails your
# portal_partner_user resources use (here, a CSV such as examples/quickstart's).
#
#   terraform apply   # reads only; creates nothing
#   terraform output -json unmanaged_access
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

variable "team_csv" {
  description = "CSV with an email column: the people managed in code."
  type        = string
  default     = "../quickstart/team.csv"
}

locals {
  managed_emails = toset([for row in csvdecode(file(var.team_csv)) : lower(row.email)])
}

# Everyone with access now: invited (no password yet), active, or past their
# access end but not removed.
data "portal_partner_users" "everyone" {}

# Invitations still waiting: access someone could gain by accepting.
data "portal_partner_invites" "waiting" {
  status = "pending"
}

locals {
  unmanaged_users = [
    for u in data.portal_partner_users.everyone.users : u
    if !contains(local.managed_emails, lower(u.email)) && u.status != "expired"
  ]
  unmanaged_invites = [
    for i in data.portal_partner_invites.waiting.invites : i
    if !contains(local.managed_emails, lower(i.email))
  ]
}

output "unmanaged_access" {
  description = "People with access, or a pending invitation, who are not in the managed list: email, roles, status and last activity."
  value = concat(
    [for u in local.unmanaged_users : {
      email            = u.email
      roles            = sort(tolist(u.roles))
      status           = u.status
      last_activity_at = u.last_activity_at
    }],
    [for i in local.unmanaged_invites : {
      email            = i.email
      roles            = sort(tolist(i.roles))
      status           = "invited (pending until ${i.expires_at})"
      last_activity_at = null
    }],
  )
}

output "unmanaged_count" {
  description = "How many people the report lists; a CI job can fail when it is not 0."
  value       = length(local.unmanaged_users) + length(local.unmanaged_invites)
}
