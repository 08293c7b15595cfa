import {
  to = portal_partner_invite.lena
  id = "inv_0123456789abcdef"
}
