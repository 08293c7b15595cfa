terraform {
  required_version = ">= 1.14"
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Resend an invitation by hand:
#   terraform apply -invoke=action.portal_invite_resend.guest
# or each time var.reminder changes, through the action_trigger below.
# Actions need Terraform 1.14 or later.

resource "portal_partner_invite" "guest" {
  email = "guest.reminded@example.com"
  roles = ["member"]
}

action "portal_invite_resend" "guest" {
  config {
    invite_id = portal_partner_invite.guest.id
  }
}

variable "reminder" {
  description = "Change it (to a date, say) to resend the invitation."
  type        = string
  default     = "first"
}

resource "terraform_data" "reminder" {
  input = var.reminder

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.portal_invite_resend.guest]
    }
  }
}
