terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# A custom role for people who handle billing: they see and change the
# portal's business data and see the partner, nothing more (the
# minimum-permission rule). data.write needs data.read in the set too.
resource "portal_role" "billing" {
  key         = "billing"
  name        = "Billing"
  description = "Invoices and payments."
  # Below the rank of the API token's role; member is 40, read_only 20.
  rank        = 30
  permissions = ["data.read", "data.write", "partner.read"]
}

# Grant it by its key, like a built-in role.
resource "portal_partner_user" "payer" {
  email = "pat.jones@acme.example"
  roles = [portal_role.billing.key]
}
