# Who changed ana's access in the last week, newest first.
data "portal_partner_user" "ana" {
  email = "ana.silva@acme.example"
}

data "portal_audit_events" "ana" {
  user_id = data.portal_partner_user.ana.id
  since   = timeadd(plantimestamp(), "-168h")
}

output "ana_changes" {
  value = [for e in data.portal_audit_events.ana.events : "${e.time} ${e.action} by ${coalesce(e.actor_email, e.actor_id)} (request ${e.request_id})"]
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
data "portal_audit_events" "by_sam" {
  actor = "sam.lee@contractor.example"
}
