# Terraform 1.14+: the partner's custom roles (built-in ones are granted by
# key and never managed as portal_role).
list "portal_role" "custom" {
  provider         = portal
  include_resource = true
}
