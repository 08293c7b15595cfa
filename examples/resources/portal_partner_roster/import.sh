# By partner id: adopts every user of the partner who is not removed, with
# their roles, except the API token's own account. Also works as the id of
# an import block; with -generate-config-out, Terraform writes the roster.
terraform import portal_partner_roster.team prt_0123456789abcdef
