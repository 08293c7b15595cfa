# Adopt a role the user already holds: USER_ID/ROLE, or PARTNER_ID/USER_ID/ROLE.
import {
  to = portal_role_assignment.kim_member
  id = "usr_0123456789abcdef/member"
}
