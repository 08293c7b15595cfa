# By user id, by email (any case), or with the partner first.
terraform import portal_partner_user.ana usr_0123456789abcdef
terraform import portal_partner_user.ana ana.silva@acme.example
terraform import portal_partner_user.ana prt_0123456789abcdef/ana.silva@acme.example
