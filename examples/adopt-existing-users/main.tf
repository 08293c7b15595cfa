# Adopt every existing user of a partner in one plan (Terraform 1.7 or later):
# the data source lists them, an import block with for_each adopts each one,
# and the resource's arguments come from what the portal holds, so the plan
# shows imports and no changes. Afterwards, edit the roles here as needed.
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

data "portal_partner_users" "existing" {
  email_domain = "acme.example"
}

locals {
  existing = { for u in data.portal_partner_users.existing.users : lower(u.email) => u }
}

import {
  for_each = local.existing
  to       = portal_partner_user.team[each.key]
  id       = each.value.id
}

resource "portal_partner_user" "team" {
  for_each = local.existing

  email             = each.value.email
  first_name        = each.value.first_name
  last_name         = each.value.last_name
  phone             = each.value.phone
  roles             = each.value.roles
  access_expires_at = each.value.access_expires_at
}
