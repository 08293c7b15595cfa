terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Invite a new partner colleague; the same resource follows the invitation
# from sent to accepted (user_id is filled in) without any diff.
resource "portal_partner_invite" "lena" {
  email = "lena.novak@acme.example"
  roles = ["member"]
}

# A contractor whose access ends 30 days after they accept. An expired,
# unanswered invitation is left alone rather than sent again.
resource "portal_partner_invite" "contractor" {
  email           = "sam.lee@contractor.example"
  roles           = ["read_only"]
  lifetime        = "72h"
  access_duration = "720h"
  on_expiry       = "keep"
}

# Change the reminder value to send the invitation again (a new link and
# expiry) without replacing it.
resource "portal_partner_invite" "reminded" {
  email = "omar.haddad@acme.example"
  roles = ["manager"]

  resend_triggers = {
    reminder = "2026-12-01"
  }
}

# Sent again each time it expires unanswered, but at most three times in
# all: after that the plan warns, naming the address, and leaves it expired.
resource "portal_partner_invite" "persistent" {
  email     = "nadia.karim@acme.example"
  roles     = ["member"]
  on_expiry = "reinvite"
  max_sends = 3
}
