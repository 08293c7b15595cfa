# Terraform 1.12+ and OpenTofu 1.12+: adopt a partner's people as a roster
# by its identity, the partner's id.
import {
  to = portal_partner_roster.team
  identity = {
    partner_id = "prt_0123456789abcdef"
  }
}
