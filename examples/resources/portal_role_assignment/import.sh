# USER_ID/ROLE, or PARTNER_ID/USER_ID/ROLE for a partner other than the provider's.
terraform import portal_role_assignment.kim_member usr_0123456789abcdef/member
terraform import portal_role_assignment.kim_member prt_0123456789abcdef/usr_0123456789abcdef/member
