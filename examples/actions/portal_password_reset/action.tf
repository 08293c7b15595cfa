terraform {
  required_version = ">= 1.14"
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Mail a partner user a link to choose a new password, by hand:
#   terraform apply -invoke=action.portal_password_reset.ana
# or each time var.password_reset changes, through the action_trigger below.
# No password passes through Terraform. Actions need Terraform 1.14 or later.

resource "portal_partner_user" "ana" {
  email = "ana.reset@example.com"
  roles = ["member"]
}

action "portal_password_reset" "ana" {
  config {
    user_id = portal_partner_user.ana.id
  }
}

variable "password_reset" {
  description = "Change it (to a ticket number, say) to mail Ana a new password link."
  type        = string
  default     = "none"
}

resource "terraform_data" "password_reset" {
  input = var.password_reset

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.portal_password_reset.ana]
    }
  }
}
