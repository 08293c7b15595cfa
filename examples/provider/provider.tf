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
}
