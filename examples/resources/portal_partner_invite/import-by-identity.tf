# Terraform 1.12+ and OpenTofu 1.12+: adopt an invite by its identity.
# partner_id may be left out for the provider's partner.
import {
  to = portal_partner_invite.lena
  identity = {
    partner_id = "prt_0123456789abcdef"
    id         = "inv_0123456789abcdef"
  }
}
