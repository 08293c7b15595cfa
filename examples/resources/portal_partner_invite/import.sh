# By invite id, or with the partner first.
terraform import portal_partner_invite.lena inv_0123456789abcdef
terraform import portal_partner_invite.lena prt_0123456789abcdef/inv_0123456789abcdef
