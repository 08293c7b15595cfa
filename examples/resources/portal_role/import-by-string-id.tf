# Adopt an existing custom role by key (or PARTNER_ID/KEY).
import {
  to = portal_role.billing
  id = "billing"
}
