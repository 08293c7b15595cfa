# Terraform 1.12+ and OpenTofu 1.12+: adopt a custom role by its identity.
# partner_id may be left out for the provider's partner.
import {
  to = portal_role.billing
  identity = {
    key = "billing"
  }
}
