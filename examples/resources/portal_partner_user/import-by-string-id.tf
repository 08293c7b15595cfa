# Adopt an existing user by email (or by id, or PARTNER_ID/EMAIL).
import {
  to = portal_partner_user.ana
  id = "ana.silva@acme.example"
}
