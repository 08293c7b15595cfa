# Terraform 1.14+: the invitations still waiting for an answer.
list "portal_partner_invite" "pending" {
  provider         = portal
  include_resource = true

  config {
    status = "pending"
  }
}
