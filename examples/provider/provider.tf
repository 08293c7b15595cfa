terraform {
  required_providers {
    portal = {
      source = "partnerportal/portal"
    }
  }
}

# Settings left out are read from PORTAL_ENDPOINT, PORTAL_API_TOKEN and
# PORTAL_PARTNER_ID. Keep the token in the environment, not in code.
provider "portal" {
  endpoint   = "https://portal.example.com"
  partner_id = "prt_0123456789abcdef"

  max_retries     = 4
  request_timeout = "30s"

  # The removal guard: a plan that takes away the access of more than 5
  # people of a partner, and more than a quarter of its users, fails before
  # anything changes. Let a reviewed larger removal through for one run with
  # PORTAL_REMOVAL_GUARD_MIN=<n> rather than by changing these.
  removal_guard_fraction = 0.25
  removal_guard_min      = 5
}
