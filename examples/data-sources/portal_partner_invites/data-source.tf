terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Invitations that expired unanswered, to follow up.
data "portal_partner_invites" "expired" {
  status = "expired"
}

output "expired_invitations" {
  value = [for i in data.portal_partner_invites.expired.invites : "${i.email} (expired ${i.expires_at})"]
}

# Adopt the pending invitations into Terraform (Terraform 1.7+).
data "portal_partner_invites" "pending" {
  status = "pending"
}

import {
  for_each = { for i in data.portal_partner_invites.pending.invites : i.email => i }
  to       = portal_partner_invite.pending[each.key]
  id       = each.value.id
}

resource "portal_partner_invite" "pending" {
  for_each = { for i in data.portal_partner_invites.pending.invites : i.email => i }

  email = each.value.email
  roles = each.value.roles
}

# Every invitation ever sent to one address.
data "portal_partner_invites" "mia" {
  email = "mia.kowalski@acme.example"
}
