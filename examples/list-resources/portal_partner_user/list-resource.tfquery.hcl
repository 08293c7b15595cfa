# Terraform 1.14+: `terraform query` lists the partner's users at a domain;
# `terraform query -generate-config-out=adopted.tf` writes a resource and an
# import block for each, which the next apply imports.
list "portal_partner_user" "staff" {
  provider         = portal
  include_resource = true

  config {
    email_domain = "acme.example"
  }
}
