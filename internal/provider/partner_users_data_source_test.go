package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// dataValue checks an attribute of the data source at addr ("portal_roles.all").
func dataValue(addr, attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data."+addr, tfjsonpath.New(attr), v)
}

// objectsWith is a list of objects whose attr is each of values, in that order.
func objectsWith(attr string, values ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{attr: knownvalue.StringExact(v)})
	}
	return knownvalue.ListExact(checks)
}

// oneObject is a list of one object with at least these attributes.
func oneObject(attrs map[string]knownvalue.Check) knownvalue.Check {
	return knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(attrs)})
}

// stringSetOf is a set of exactly these strings.
func stringSetOf(values ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}
	return knownvalue.SetExact(checks)
}

// TestAccDataSourcePartnerUsers_filters lists a partner of 12 live users and
// one removed, through every filter. The client reads all pages with the
// largest page size (500), so a second page would need 500+ users; paging
// itself is covered by the client's tests.
func TestAccDataSourcePartnerUsers_filters(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	clock, err := a.client.Dev.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end := clock.Now.Add(time.Hour).UTC().Truncate(time.Second)
	temp := a.createUser(api.UserCreate{Email: "temp@acme.test", Roles: []string{"member"}, AccessExpiresAt: &end})
	a.advance(2 * time.Hour) // temp's access has ended
	if _, err := a.client.Invites.Create(ctx, a.PartnerID, api.InviteCreate{Email: "joined@acme.test", Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	a.accept("joined@acme.test") // the one active user
	a.user("Bo@Acme.test", "member")
	a.user("ana@acme.test", "manager")
	for _, e := range []string{"cy", "di", "ed"} {
		a.user(e+"@acme.test", "read_only")
	}
	a.user("fay@other.test", "member")
	a.user("gus@other.test", "read_only", "member")
	a.user("hal@other.test")
	gone := a.user("gone@acme.test", "member")
	if err := a.client.Users.Delete(ctx, a.PartnerID, gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	live := []string{"ana@acme.test", "Bo@Acme.test", "cy@acme.test", "di@acme.test", "ed@acme.test", "fay@other.test",
		"gus@other.test", "hal@other.test", "joined@acme.test", "owner@acme.test", "temp@acme.test"}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: a.provider("") + `
data "portal_partner_users" "all" {}
data "portal_partner_users" "members" {
  role = "member"
}
data "portal_partner_users" "expired" {
  status = "expired"
}
data "portal_partner_users" "active" {
  status = "active"
}
data "portal_partner_users" "other" {
  email_domain = "@Other.TEST"
}
data "portal_partner_users" "other_members" {
  email_domain = "other.test"
  role         = "member"
}
data "portal_partner_users" "with_deleted" {
  include_deleted = true
  email_domain    = "acme.test"
  role            = "member"
}
data "portal_partner_users" "deleted" {
  status = "deleted"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				dataValue("portal_partner_users.all", "users", objectsWith("email", live...)),
				dataValue("portal_partner_users.all", "partner_id", knownvalue.StringExact(a.PartnerID)),
				dataValue("portal_partner_users.all", "emails", stringSetOf("ana@acme.test", "bo@acme.test", "cy@acme.test", "di@acme.test",
					"ed@acme.test", "fay@other.test", "gus@other.test", "hal@other.test", "joined@acme.test", "owner@acme.test", "temp@acme.test")),
				dataValue("portal_partner_users.all", "ids", knownvalue.ListSizeExact(len(live))),
				dataValue("portal_partner_users.members", "users",
					objectsWith("email", "Bo@Acme.test", "fay@other.test", "gus@other.test", "joined@acme.test", "temp@acme.test")),
				dataValue("portal_partner_users.expired", "users", knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":                knownvalue.StringExact(temp.ID),
					"partner_id":        knownvalue.StringExact(a.PartnerID),
					"email":             knownvalue.StringExact("temp@acme.test"),
					"first_name":        knownvalue.StringExact(""),
					"last_name":         knownvalue.StringExact(""),
					"phone":             knownvalue.Null(),
					"roles":             stringSetOf("member"),
					"access_expires_at": knownvalue.StringExact(end.Format(time.RFC3339)),
					"status":            knownvalue.StringExact(api.UserExpired),
					"created_at":        knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
					"last_activity_at":  knownvalue.Null(),
				})})),
				dataValue("portal_partner_users.expired", "ids", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(temp.ID)})),
				dataValue("portal_partner_users.active", "users", objectsWith("email", "joined@acme.test")),
				dataValue("portal_partner_users.active", "users", oneObject(map[string]knownvalue.Check{
					"status": knownvalue.StringExact(api.UserActive), "roles": stringSetOf("member"),
				})),
				dataValue("portal_partner_users.other", "emails", stringSetOf("fay@other.test", "gus@other.test", "hal@other.test")),
				dataValue("portal_partner_users.other_members", "users", objectsWith("email", "fay@other.test", "gus@other.test")),
				dataValue("portal_partner_users.with_deleted", "users",
					objectsWith("email", "Bo@Acme.test", "gone@acme.test", "joined@acme.test", "temp@acme.test")),
				dataValue("portal_partner_users.deleted", "users", oneObject(map[string]knownvalue.Check{
					"id": knownvalue.StringExact(gone.ID), "status": knownvalue.StringExact(api.UserDeleted),
				})),
			},
		}},
	})
}

func TestAccDataSourcePartnerUsers_badFilterFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:      a.provider("") + fmt.Sprintf("data \"portal_partner_users\" \"x\" {\n  status = %q\n}\n", "gone"),
			ExpectError: regexp.MustCompile(`(?s)status.*value must be one of`),
		}},
	})
}

// A role the partner does not have is an error that lists its roles, not an
// empty list that reads as "nobody holds it"; a custom role of the partner
// is a role like the built-in ones.
func TestAccDataSourcePartnerUsers_unknownRoleIsAnError(t *testing.T) {
	a := newAcc(t)
	a.role(api.RoleCreate{Key: "billing", Name: "Billing", Rank: 30, Permissions: []string{"data.read"}})
	a.user("payer@acme.test", "billing")
	a.user("manny@acme.test", "manager")
	// A token that may read users but not roles cannot check the role: it
	// lists users as before.
	a.role(api.RoleCreate{Key: "people_viewer", Name: "People viewer", Rank: 25, Permissions: []string{"users.read"}})
	viewer := a.tokenWithRole("viewer@acme.test", "people_viewer")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + `
data "portal_partner_users" "billing" {
  role = "billing"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					dataValue("portal_partner_users.billing", "users", objectsWith("email", "payer@acme.test")),
				},
			},
			{
				Config: a.provider("") + `
data "portal_partner_users" "typo" {
  role = "managr"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Unknown role.*role\s+=\s+"managr".*has no role\s+"managr".*Its roles are:\s+admin,\s+billing,\s+manager,\s+member,\s+owner,\s+people_viewer,\s+read_only\.`),
			},
			{
				Config: a.provider(viewer) + `
data "portal_partner_users" "managers" {
  role = "manager"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					dataValue("portal_partner_users.managers", "users", objectsWith("email", "manny@acme.test")),
				},
			},
		},
	})
}

func TestAccDataSourcePartnerUsers_emailDomainNotADomainFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	for _, domain := range []string{"acme", "ana@acme.test", "acme.test.", "ac me.test", ""} {
		t.Run(domain, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps: []resource.TestStep{{
					Config:      a.provider("") + fmt.Sprintf("data \"portal_partner_users\" \"x\" {\n  email_domain = %q\n}\n", domain),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`(?s)Invalid email domain.*email_domain.*is not an email domain`),
				}},
			})
		})
	}
}

func TestValidEmailDomain(t *testing.T) {
	v, ok := validEmailDomain().(stringCheck)
	if !ok {
		t.Fatalf("validEmailDomain is a %T, want a stringCheck", validEmailDomain())
	}
	for s, want := range map[string]bool{
		"acme.com": true, "@Other.TEST": true, "sub.acme.co.uk": true, "bücher.example": true,
		"acme": false, "": false, "@": false, "@@acme.com": false, "a@acme.com": false, "acme.com.": false, "ac me.com": false, " acme.com": false,
	} {
		if got := v.check(s) == ""; got != want {
			t.Errorf("validEmailDomain(%q) accepts = %v, want %v", s, got, want)
		}
	}
}

// TestAccDataSourcePartnerUsers_inactiveFor: inactive_for reports the people
// with no activity for that long by the portal's clock, moved on by the
// test clock: those last active before it, and those never active and
// created before it; not someone active since, nor someone new.
func TestAccDataSourcePartnerUsers_inactiveFor(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	a.user("never@acme.test", api.RoleMember)
	old := a.tokenWithRole("old@acme.test", api.RoleReadOnly)
	busy := a.tokenWithRole("busy@acme.test", api.RoleReadOnly)
	signIn := func(token string) {
		c, err := client.New(client.Config{Endpoint: a.URL, Token: token})
		if err == nil {
			_, err = c.Me.Get(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	signIn(old)
	a.advance(31 * 24 * time.Hour)
	a.user("new@acme.test", api.RoleMember)
	signIn(busy)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:      a.provider("") + "data \"portal_partner_users\" \"stale\" {\n  inactive_for = \"30 days\"\n}\n",
				ExpectError: regexp.MustCompile(`inactive_for`),
			},
			{
				Config: a.provider("") + `
data "portal_partner_users" "stale" {
  inactive_for = "720h"
}
data "portal_partner_users" "recent" {
  inactive_for = "2h"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					dataValue("portal_partner_users.stale", "emails", stringSetOf("never@acme.test", "old@acme.test")),
					dataValue("portal_partner_users.stale", "users", objectsWith("email", "never@acme.test", "old@acme.test")),
					// The owner acts now (this plan's own requests), busy signed in after the clock moved, new was created then.
					dataValue("portal_partner_users.recent", "emails", stringSetOf("never@acme.test", "old@acme.test")),
				},
			},
		},
	})
}
