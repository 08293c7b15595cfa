# Terraform 1.12+ and OpenTofu 1.12+: adopt a grant by its identity.
# partner_id may be left out for the provider's partner.
import {
  to = portal_role_assignment.kim_member
  identity = {
    partner_id = "prt_0123456789abcdef"
    user_id    = "usr_0123456789abcdef"
    role       = "member"
  }
}
