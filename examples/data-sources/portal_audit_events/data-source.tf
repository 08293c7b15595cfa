terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

# Who changed eva's access in the last week, newest first.
data "portal_partner_user" "eva" {
  email = "eva.lind@acme.example"
}

data "portal_audit_events" "eva" {
  user_id = data.portal_partner_user.eva.id
  since   = timeadd(plantimestamp(), "-168h")
}

output "eva_changes" {
  value = [for e in data.portal_audit_events.eva.events : "${e.time} ${e.action} by ${coalesce(e.actor_email, e.actor_id)} (request ${e.request_id})"]
}

# The 50 newest role grants, with the roles before and after.
data "portal_audit_events" "grants" {
  action     = "user.role_granted"
  max_events = 50
}

output "grants" {
  value = [for e in data.portal_audit_events.grants.events : {
    user   = e.target_id
    before = try(jsondecode(e.before_json).roles, [])
    after  = try(jsondecode(e.after_json).roles, [])
  }]
}

# Everything one person did.
data "portal_audit_events" "by_tom" {
  actor = "tom.berg@contractor.example"
}
