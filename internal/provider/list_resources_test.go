package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The list resources answer `terraform query` (Terraform 1.14+; OpenTofu
// 1.12 has no query): the filters of the data sources, each result with its
// identity (the partner as resolved) and display name, and with
// include_resource the object as import reads it.
func TestAccQuery_listResources(t *testing.T) {
	a := newAcc(t)
	ana := a.createUser(api.UserCreate{Email: "ana@acme.test", FirstName: "Ana", LastName: "Silva", Roles: []string{"member"}})
	bo := a.user("bo@other.test", "manager")
	gone := a.removedUser("gone@acme.test", "member")
	if _, err := a.client.Invites.Create(context.Background(), a.PartnerID, api.InviteCreate{Email: "new@elsewhere.test", Roles: []string{"read_only"}}); err != nil {
		t.Fatal(err)
	}
	a.role(api.RoleCreate{Key: "billing", Name: "Billing", Rank: 30, Permissions: []string{"data.read"}})
	id := func(pairs ...string) map[string]knownvalue.Check {
		m := map[string]knownvalue.Check{"partner_id": knownvalue.StringExact(a.PartnerID)}
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i]] = knownvalue.StringExact(pairs[i+1])
		}
		return m
	}
	// A query step reads its .tfquery.hcl beside the configuration of the
	// step before, whose provider block it uses.
	query := func(lists string) string { return lists }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{Config: a.provider("") + roleConfig(`  key = "auditor"
  name = "Auditor"
  rank = 20
  permissions = ["audit.read"]`)},
			{
				Query: true,
				Config: query(`
list "portal_partner_user" "acme" {
  provider = portal
  config {
    email_domain = "ACME.test"
  }
}

list "portal_partner_user" "with_removed" {
  provider = portal
  config {
    email_domain    = "acme.test"
    include_deleted = true
  }
}

list "portal_partner_user" "managers" {
  provider         = portal
  include_resource = true
  config {
    role = "manager"
  }
}

list "portal_partner_invite" "pending" {
  provider = portal
  config {
    status = "pending"
  }
}

list "portal_role" "custom" {
  provider         = portal
  include_resource = true
}
`),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("portal_partner_user.acme", 2), // ana and the owner
					querycheck.ExpectIdentity("portal_partner_user.acme", id("id", ana.ID)),
					querycheck.ExpectIdentity("portal_partner_user.acme", id("id", a.OwnerID)),
					querycheck.ExpectResourceDisplayName("portal_partner_user.acme", queryfilter.ByResourceIdentity(id("id", ana.ID)),
						knownvalue.StringExact("ana@acme.test (Ana Silva)")),
					querycheck.ExpectLength("portal_partner_user.with_removed", 3),
					querycheck.ExpectIdentity("portal_partner_user.with_removed", id("id", gone.ID)),
					querycheck.ExpectLength("portal_partner_user.managers", 1),
					querycheck.ExpectResourceKnownValues("portal_partner_user.managers", queryfilter.ByResourceIdentity(id("id", bo.ID)),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("email"), KnownValue: knownvalue.StringExact("bo@other.test")},
							{Path: tfjsonpath.New("roles"), KnownValue: roleSet("manager")},
							{Path: tfjsonpath.New("partner_id"), KnownValue: knownvalue.StringExact(a.PartnerID)},
							{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact(bo.Status)},
						}),
					querycheck.ExpectLength("portal_partner_invite.pending", 1),
					querycheck.ExpectResourceDisplayName("portal_partner_invite.pending", queryfilter.ByDisplayName(knownvalue.StringExact("new@elsewhere.test (pending)")),
						knownvalue.StringExact("new@elsewhere.test (pending)")),
					// Custom roles only: billing made by hand and auditor by Terraform.
					querycheck.ExpectLength("portal_role.custom", 2),
					querycheck.ExpectIdentity("portal_role.custom", id("key", "billing")),
					querycheck.ExpectResourceKnownValues("portal_role.custom", queryfilter.ByResourceIdentity(id("key", "auditor")),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("Auditor")},
							{Path: tfjsonpath.New("rank"), KnownValue: knownvalue.Int64Exact(20)},
						}),
				},
			},
			{
				// The portal answers a role it does not have with nobody: the
				// list says so instead, naming the partner's roles.
				Query: true,
				Config: query(`
list "portal_partner_user" "typo" {
  provider = portal
  config {
    role = "managr"
  }
}
`),
				ExpectError: regexp.MustCompile(`(?s)Unknown role.*has no role "managr".*Its roles are: admin, auditor, billing, manager`),
			},
			{
				Query: true,
				Config: query(`
list "portal_partner_user" "bad_domain" {
  provider = portal
  config {
    email_domain = "acme"
  }
}
`),
				ExpectError: regexp.MustCompile(`(?s)Invalid email domain.*"acme" is not an email domain`),
			},
		},
	})
}

// TestAccQuery_generateConfigAdopts is the adoption job on Terraform 1.14+:
// `terraform query -generate-config-out` writes a resource and an import
// block (by identity) for each user, invite and custom role found, which
// apply as imports only and then plan nothing, without a single edit.
func TestAccQuery_generateConfigAdopts(t *testing.T) {
	requireAcc(t)
	skipBelowTerraform(t, 1, 14) // terraform query
	w := startProcessWorld(t)
	c := w.client(t)
	team := existingTeam(t, c, w.boot.PartnerID)
	ctx := context.Background()
	if _, err := c.Invites.Create(ctx, w.boot.PartnerID, api.InviteCreate{Email: "waiting@elsewhere.test", Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Roles.Create(ctx, w.boot.PartnerID, api.RoleCreate{Key: "billing", Name: "Billing", Rank: 30, Permissions: []string{"data.read"}}); err != nil {
		t.Fatal(err)
	}
	tf := w.tfDir(t, "provider \"portal\" {}\n")
	// The queries are the docs' examples, as they are written but for the domain.
	var query strings.Builder
	for _, name := range []string{"portal_partner_user", "portal_partner_invite", "portal_role"} {
		b, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "list-resources", name, "list-resource.tfquery.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		query.WriteString(strings.Replace(string(b), `"acme.example"`, `"adopt.test"`, 1) + "\n")
	}
	if err := os.WriteFile(filepath.Join(tf.dir, "adopt.tfquery.hcl"), []byte(query.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := tf.run(t, "query", "-no-color", "-generate-config-out=generated.tf"); code != 0 {
		t.Fatalf("terraform query: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(tf.dir, "generated.tf"))
	generated := string(b)
	want := len(team) + 2
	if err != nil || strings.Count(generated, `resource "portal_partner_user"`) != len(team) || strings.Count(generated, `resource "portal_partner_invite"`) != 1 ||
		strings.Count(generated, `resource "portal_role"`) != 1 || strings.Count(generated, "identity = {") != want {
		t.Fatalf("generated.tf (%v), want %d users, an invite and a role, imported by identity:\n%s", err, len(team), generated)
	}
	if out := tf.mustRun(t, "apply", "-auto-approve"); !strings.Contains(out, fmt.Sprintf("%d imported, 0 added, 0 changed, 0 destroyed", want)) {
		t.Fatalf("apply of the generated configuration:\n%s\ngenerated.tf:\n%s", out, generated)
	}
	tf.mustRun(t, "plan", "-detailed-exitcode")
}
