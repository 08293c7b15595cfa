package main

import "fmt"

// The shapes of for_each the configurations can use (flag -for-each).
const (
	// forEachMap is a map from each email to itself. The default: Terraform
	// re-evaluates for_each for every instance it plans, and a map's keys
	// are much cheaper to go through than a set's elements.
	forEachMap = "map"
	// forEachSet is toset() of the emails, the configuration. With
	// Terraform 1.11 its floor alone grows as N squared and takes hours at
	// N = 5,000.
	forEachSet = "set"
)

// emailsLocal is a locals block with local.emails, the N bench emails
// user00000@bench.example and on, as a map or a set. range() yields at most
// 1,024 values, so the indexes are made in blocks of 1,000.
func emailsLocal(n int, forEach string) string {
	list := fmt.Sprintf(`flatten([
    for b in range(ceil(%[1]d / 1000)) : [
      for i in range(b * 1000, min(%[1]d, b * 1000 + 1000)) : format("user%%05d@bench.example", i)
    ]
  ])`, n)
	expr := "{ for e in " + list + " : e => e }"
	if forEach == forEachSet {
		expr = "toset(" + list + ")"
	}
	return "locals {\n  emails = " + expr + "\n}\n"
}

// userEmails are the first k emails of emailsLocal, the ones changed by hand.
func userEmails(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("user%05d@bench.example", i)
	}
	return out
}

// usersConfig is N portal_partner_user resources, each a member; the first
// `changed` of them read_only instead (the stack floor's 1% change, made in
// the configuration since that provider keeps no users to change by hand).
func usersConfig(n, changed int, forEach string) string {
	roles := `["member"]`
	if changed > 0 {
		roles = fmt.Sprintf(`tonumber(substr(each.key, 4, 5)) < %d ? ["read_only"] : ["member"]`, changed)
	}
	return `terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

` + emailsLocal(n, forEach) + `
resource "portal_partner_user" "u" {
  for_each = local.emails
  email    = each.key
  roles    = ` + roles + `
}
`
}

// rosterConfig is one portal_partner_roster of the same N people, each a
// member, as usersConfig has them. Its users map is built from a list, not
// from local.emails: a roster has no for_each, so the map's shape is only
// the resource's argument.
func rosterConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    portal = { source = "partnerportal/portal" }
  }
}

resource "portal_partner_roster" "team" {
  users = { for e in flatten([
    for b in range(ceil(%[1]d / 1000)) : [
      for i in range(b * 1000, min(%[1]d, b * 1000 + 1000)) : format("user%%05d@bench.example", i)
    ]
  ]) : e => { roles = ["member"] } }
}
`, n)
}

// floorConfig is N terraform_data resources over the same keys; the first
// `changed` of them get input "changed" (the floor's 1% change).
func floorConfig(n, changed int, forEach string) string {
	return emailsLocal(n, forEach) + fmt.Sprintf(`
resource "terraform_data" "u" {
  for_each = local.emails
  input    = tonumber(substr(each.key, 4, 5)) < %d ? "changed" : each.key
}
`, changed)
}

// devOverridesCLIConfig points Terraform at the provider binary in bin, for
// the real provider and for the stack floor.
func devOverridesCLIConfig(bin string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/partnerportal/portal" = %q
  }
  direct {}
}
`, bin)
}

// floorCLIConfig is an empty CLI config, so that the floor reads none of
// the caller's.
func floorCLIConfig() string { return "# portal bench: no settings\n" }
