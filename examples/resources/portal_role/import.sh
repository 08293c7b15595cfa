# By role key (in the provider's partner), or with the partner first.
terraform import portal_role.billing billing
terraform import portal_role.billing prt_0123456789abcdef/billing
