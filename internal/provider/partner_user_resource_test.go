package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const userAddr = "portal_partner_user.test"

// userConfig is a portal_partner_user with the given body.
func userConfig(body string) string {
	return fmt.Sprintf(`
resource "portal_partner_user" "test" {
%s
}
`, body)
}

func roleSet(roles ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(roles))
	for i, r := range roles {
		checks[i] = knownvalue.StringExact(r)
	}
	return knownvalue.SetExact(checks)
}

// importedPhoneIsNull checks that a user imported without a phone has none
// in state: null, not "" (a configuration generated from it leaves it out).
func importedPhoneIsNull(states []*terraform.InstanceState) error {
	for _, s := range states {
		if phone, ok := s.Attributes["phone"]; ok && s.Attributes["email"] != "" {
			return fmt.Errorf("imported user %s has phone %q in state, want null", s.ID, phone)
		}
	}
	return nil
}

func stateValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(userAddr, tfjsonpath.New(attr), v)
}

func TestAccUser_lifecycleAndImport(t *testing.T) {
	a := newAcc(t)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + userConfig(`
  email      = "ana@acme.test"
  first_name = "Ana"
  last_name  = "Silva"
  phone      = "+351912345678"
  roles      = ["member", "read_only"]
`),
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("email", knownvalue.StringExact("ana@acme.test")),
					stateValue("roles", roleSet("member", "read_only")),
					stateValue("status", knownvalue.StringExact(api.UserInvited)),
					stateValue("partner_id", knownvalue.StringExact(a.PartnerID)),
					stateValue("id", knownvalue.StringRegexp(regexp.MustCompile(`^usr_`))),
					stateValue("restore_if_deleted", knownvalue.Bool(false)),
				},
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[userAddr].Primary.ID
					u := a.serverUser(id)
					if phoneOf(u) != "+351912345678" || !slices.Equal(u.Roles, []string{"member", "read_only"}) {
						return fmt.Errorf("server holds %+v", u)
					}
					return nil
				},
			},
			{
				// Update in place: names, phone cleared, roles replaced.
				Config: a.provider("") + userConfig(`
  email      = "ana@acme.test"
  first_name = "Ana Maria"
  last_name  = "Silva"
  phone      = ""
  roles      = ["manager"]
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("first_name", knownvalue.StringExact("Ana Maria")),
					stateValue("phone", knownvalue.StringExact("")),
					stateValue("roles", roleSet("manager")),
				},
				Check: func(*terraform.State) error {
					if u := a.serverUser(id); u.FirstName != "Ana Maria" || u.Phone != nil || !slices.Equal(u.Roles, []string{"manager"}) || u.Version < 2 {
						return fmt.Errorf("server holds %+v", u)
					}
					return nil
				},
			},
			{
				// The configuration's phone = "" is kept in state; an import,
				// which has no configuration, reads the portal's null.
				ResourceName:            userAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"phone"},
				ImportStateCheck:        importedPhoneIsNull,
			},
			{
				ResourceName:            userAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"phone"},
				ImportStateId:           "ANA@acme.test", // by email, any case
			},
			{
				// An import block into the configuration of a person without
				// a phone, which leaves phone out: a no-op import. (With
				// phone = "" the portal's null plans one in-place update, which
				// sends nothing.)
				Config: a.provider("") + userConfig(`
  email      = "ana@acme.test"
  first_name = "Ana Maria"
  last_name  = "Silva"
  roles      = ["manager"]
`),
				ResourceName:      userAddr,
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return a.PartnerID + "/ana@acme.test", nil },
			},
		},
	})
}

func TestAccUser_roleDriftIsPlannedBack(t *testing.T) {
	a := newAcc(t)
	var id string
	config := a.provider("") + userConfig(`
  email = "drift@acme.test"
  roles = ["member"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[userAddr].Primary.ID
					return nil
				},
			},
			{
				// Someone adds manager and removes member in the portal by hand.
				PreConfig: func() {
					ctx := context.Background()
					if _, err := a.client.Grants.Grant(ctx, a.PartnerID, id, api.RoleManager); err != nil {
						t.Fatal(err)
					}
					if err := a.client.Grants.Revoke(ctx, a.PartnerID, id, api.RoleMember); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("roles"), roleSet("member")),
					// A reviewer sees the roles move, not computed values turned unknown.
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("status"), knownvalue.StringExact(api.UserInvited)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet("member"))},
				Check: func(*terraform.State) error {
					if u := a.serverUser(id); !slices.Equal(u.Roles, []string{"member"}) {
						return fmt.Errorf("after apply the server holds roles %v, want [member]", u.Roles)
					}
					return nil
				},
			},
		},
	})
}

func TestAccUser_rolesUnsetAreLeftAlone(t *testing.T) {
	a := newAcc(t)
	config := a.provider("") + userConfig(`  email = "loose@acme.test"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet())}},
			{
				PreConfig: func() {
					u := a.userByEmail("loose@acme.test")
					if _, err := a.client.Grants.Grant(context.Background(), a.PartnerID, u.ID, api.RoleMember); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				// Read into state as the portal has them, for the next plan to show what a change of roles takes away.
				ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet("member"))},
				Check: func(*terraform.State) error {
					if u := a.userByEmail("loose@acme.test"); !slices.Equal(u.Roles, []string{"member"}) {
						return fmt.Errorf("unmanaged roles were touched: %v", u.Roles)
					}
					return nil
				},
			},
		},
	})
}

func TestAccUser_disappears(t *testing.T) {
	a := newAcc(t)
	config := a.provider("") + userConfig(`
  email = "vanish@acme.test"
  roles = ["member"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					// Removed in the portal right after apply: the refresh drops it and the plan creates it again.
					id := s.RootModule().Resources[userAddr].Primary.ID
					return a.client.Users.Delete(context.Background(), a.PartnerID, id, 0)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// Re-creating needs the removed account restored: its email stays reserved.
				Config:      config,
				ExpectError: regexp.MustCompile(`restore_if_deleted`),
			},
		},
	})
}

// TestAccUser_emailSpellingIsNotAChange: emails compare as the portal
// compares logins (api.NormalizeEmail): another letter case, the ASCII form
// of an internationalised domain, or another Unicode form plan nothing.
func TestAccUser_emailSpellingIsNotAChange(t *testing.T) {
	a := newAcc(t)
	same := func(email, kept string) resource.TestStep {
		return resource.TestStep{
			Config:            a.provider("") + userConfig(fmt.Sprintf("  email = %q", email)),
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			ConfigStateChecks: []statecheck.StateCheck{stateValue("email", knownvalue.StringExact(kept))},
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{Config: a.provider("") + userConfig(`  email = "Mixed.Case@Acme.test"`)},
			same("mixed.case@acme.TEST", "Mixed.Case@Acme.test"),
			{
				// A real change of address updates in place.
				Config: a.provider("") + userConfig(`  email = "W@Bücher.example"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
				}},
			},
			same("w@xn--bcher-kva.example", "W@Bücher.example"),
			same("w@bu\u0308cher.example", "W@Bücher.example"),
		},
	})
}

func TestAccUser_restoreIfDeleted(t *testing.T) {
	a := newAcc(t)
	old := a.removedUser("back@acme.test", api.RoleReadOnly)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				Config:      a.provider("") + userConfig(`  email = "back@acme.test"`),
				ExpectError: regexp.MustCompile(`(?s)removed account.*restore_if_deleted = true`),
			},
			{
				Config: a.provider("") + userConfig(`
  email              = "BACK@acme.test"
  first_name         = "Returning"
  roles              = ["member"]
  restore_if_deleted = true
`),
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("id", knownvalue.StringExact(old.ID)),
					stateValue("roles", roleSet("member")),
					stateValue("first_name", knownvalue.StringExact("Returning")),
				},
				Check: func(*terraform.State) error {
					if u := a.serverUser(old.ID); u.Status == api.UserDeleted || !slices.Equal(u.Roles, []string{"member"}) {
						return fmt.Errorf("server holds %+v", u)
					}
					return nil
				},
			},
		},
	})
}

func TestAccUser_duplicateEmailPrintsImportBlock(t *testing.T) {
	a := newAcc(t)
	existing := a.user("taken@acme.test", api.RoleMember)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:      a.provider("") + userConfig(`  email = "Taken@acme.test"`),
			ExpectError: regexp.MustCompile(`(?s)409 email_taken.*import \{.*id = "` + existing.ID + `"`),
		}},
	})
}

func TestAccUser_badInputFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	admin := a.tokenWithRole("admin@acme.test", api.RoleAdmin)
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"phone", a.provider("") + userConfig(`
  email = "p@acme.test"
  phone = "0044 20 7946 0000"`), `(?s)roles|phone.*E\.164`},
		{"email", a.provider("") + userConfig(`  email = "not an email"`), `valid email address`},
		{"role key", a.provider("") + userConfig(`
  email = "r@acme.test"
  roles = ["Super Admin"]`), `not a role key`},
		{"unknown role", a.provider("") + userConfig(`
  email = "r@acme.test"
  roles = ["member", "wizard"]`), `(?s)Unknown role.*"wizard"`},
		{"above the ceiling", a.provider(admin) + userConfig(`
  email = "r@acme.test"
  roles = ["admin"]`), `(?s)ceiling.*"admin" \(rank 80\).*role\s+is\s+"admin".*up\s+to\s+rank\s+60\s+\(manager\)`},
		{"time", a.provider("") + userConfig(`
  email             = "r@acme.test"
  access_expires_at = "next tuesday"`), `RFC 3339`},
		{"access end in the past", a.provider("") + userConfig(`
  email             = "r@acme.test"
  access_expires_at = "2020-01-31T18:00:00Z"`), `(?s)Access end in the past.*access_expires_at\s+=.*has already passed`},
		{"bidi override in a name", a.provider("") + userConfig(`
  email     = "r@acme.test"
  last_name = "Silva\u202e"`), `(?s)last_name.*bidirectional\s+formatting\s+character\s+U\+202E`},
	}
	// The group returns only when its parallel subtests have finished.
	t.Run("plans", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: protoV6,
					Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)}},
				})
			})
		}
	})
	// Nothing reached the server: only the owner and the admin exist.
	list, err := a.client.Users.ListAll(context.Background(), a.PartnerID, api.UserListOptions{})
	if err != nil || len(list) != 2 {
		t.Fatalf("users after refused plans: %d (%v), want 2", len(list), err)
	}
}

func TestAccUser_temporaryAccess(t *testing.T) {
	a := newAcc(t)
	end := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	// The same instant written with an offset: no perpetual diff against the server's UTC.
	local := end.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + userConfig(fmt.Sprintf(`
  email             = "temp@acme.test"
  roles             = ["member"]
  access_expires_at = %q`, local)),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("access_expires_at", knownvalue.StringExact(local))},
				Check: func(s *terraform.State) error {
					u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID)
					if u.AccessExpiresAt == nil || !u.AccessExpiresAt.Equal(end) {
						return fmt.Errorf("server access_expires_at = %v, want %v", u.AccessExpiresAt, end)
					}
					return nil
				},
			},
			{
				// Removing the end date gives lasting access.
				Config: a.provider("") + userConfig(`
  email = "temp@acme.test"
  roles = ["member"]`),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("access_expires_at", knownvalue.Null())},
				Check: func(s *terraform.State) error {
					if u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID); u.AccessExpiresAt != nil {
						return fmt.Errorf("server still ends access at %v", u.AccessExpiresAt)
					}
					return nil
				},
			},
		},
	})
}

// TestAccUser_accessExpiresAtToTheMicrosecond: the portal keeps times to
// the microsecond. A time it holds reads back as it is (not cut to the
// second), so importing it into a configuration that says the same plans
// nothing; a finer time is refused at plan time on access_expires_at,
// rather than applied, read back as another instant and planned again.
func TestAccUser_accessExpiresAtToTheMicrosecond(t *testing.T) {
	a := newAcc(t)
	end := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Add(999999 * time.Microsecond)
	u := a.createUser(api.UserCreate{Email: "micro@acme.test", Roles: []string{api.RoleMember}, AccessExpiresAt: &end})
	config := func(at string) string {
		return a.provider("") + userConfig(fmt.Sprintf(`
  email             = "micro@acme.test"
  roles             = ["member"]
  access_expires_at = %q`, at))
	}
	written := end.Format(time.RFC3339Nano) // ...:SS.999999Z
	later := end.Add(time.Hour).Truncate(time.Second).Add(123456 * time.Microsecond).Format(time.RFC3339Nano)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				// Adopted as it is: the import plans no change.
				Config: config(written) + fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", userAddr, u.ID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("access_expires_at", knownvalue.StringExact(written))},
			},
			{
				Config:      config(strings.Replace(later, "Z", "7Z", 1)), // seven digits; the last step is valid, for the destroy
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)access_expires_at.*finer than a microsecond`),
			},
			{
				Config:            config(later),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("access_expires_at", knownvalue.StringExact(later))},
				Check: func(*terraform.State) error {
					if got := a.serverUser(u.ID).AccessExpiresAt; got == nil || got.Format(time.RFC3339Nano) != later {
						return fmt.Errorf("server access_expires_at = %v, want %s", got, later)
					}
					return nil
				},
			},
		},
	})
}

// expectRolesChange checks the roles of a planned update: before (the roles
// the user holds, as the plan shows them to a reviewer) and after.
func expectRolesChange(before, after []string) plancheck.PlanCheck {
	return rolesChange{before, after}
}

type rolesChange struct{ before, after []string }

func (c rolesChange) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	roles := func(v any) []string {
		m, _ := v.(map[string]any)
		list, _ := m["roles"].([]any)
		out := []string{}
		for _, r := range list {
			s, _ := r.(string)
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != userAddr {
			continue
		}
		if b, a := roles(rc.Change.Before), roles(rc.Change.After); !slices.Equal(b, c.before) || !slices.Equal(a, c.after) {
			resp.Error = fmt.Errorf("the plan changes roles from %v to %v, want from %v to %v", b, a, c.before, c.after)
		}
		return
	}
	resp.Error = fmt.Errorf("no planned change of %s", userAddr)
}

// TestAccUser_settingRolesShowsWhatItTakesAway: roles left out read the
// user's roles into state all the same, so a configuration that starts to
// manage them shows, as the prior value, every role the apply will revoke.
func TestAccUser_settingRolesShowsWhatItTakesAway(t *testing.T) {
	a := newAcc(t)
	for _, c := range []struct {
		name  string
		roles []string
	}{
		{"another role", []string{api.RoleMember}},
		{"none", []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			email := strings.ReplaceAll(c.name, " ", "-") + "@acme.test"
			var id string
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				CheckDestroy:             a.checkUsersRemoved,
				Steps: []resource.TestStep{
					{
						Config: a.provider("") + userConfig(fmt.Sprintf(`  email = %q`, email)),
						Check: func(s *terraform.State) error {
							id = s.RootModule().Resources[userAddr].Primary.ID
							return nil
						},
					},
					{
						PreConfig: func() { // granted in the portal by hand
							if _, err := a.client.Grants.Grant(context.Background(), a.PartnerID, id, api.RoleManager); err != nil {
								t.Fatal(err)
							}
						},
						Config: a.provider("") + userConfig(fmt.Sprintf("  email = %q\n  roles = %s", email, hclList(c.roles))),
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
							expectRolesChange([]string{api.RoleManager}, c.roles),
						}},
						Check: func(*terraform.State) error {
							if got := a.serverUser(id).Roles; !slices.Equal(got, c.roles) {
								return fmt.Errorf("server holds roles %v, want %v", got, c.roles)
							}
							return nil
						},
					},
				},
			})
		})
	}
}

// hclList writes strings as an HCL list.
func hclList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// TestAccUser_importWithoutRolesPlansNothing: importing a user with roles
// left out of the configuration is a no-op that sends nothing, and puts the
// user's roles in state.
func TestAccUser_importWithoutRolesPlansNothing(t *testing.T) {
	a := newAcc(t)
	held := a.user("held@acme.test", api.RoleManager)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{{
			Config: a.provider("") + userConfig(`  email = "held@acme.test"`) + fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", userAddr, held.ID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop),
			}},
			ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet(api.RoleManager))},
			Check: func(*terraform.State) error {
				if u := a.serverUser(held.ID); u.Version != held.Version {
					return fmt.Errorf("the import changed the user: version %d, was %d", u.Version, held.Version)
				}
				return nil
			},
		}},
	})
}

// TestAccUser_removingRolesChangesNothing: roles removed from the
// configuration are no longer managed: the plan is empty and the user's
// roles and version stay as they were.
func TestAccUser_removingRolesChangesNothing(t *testing.T) {
	a := newAcc(t)
	var id string
	var version int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkUsersRemoved,
		Steps: []resource.TestStep{
			{
				Config: a.provider("") + userConfig(`
  email = "kept@acme.test"
  roles = ["member"]`),
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[userAddr].Primary.ID
					version = a.serverUser(id).Version
					return nil
				},
			},
			{
				Config: a.provider("") + userConfig(`  email = "kept@acme.test"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("roles", roleSet(api.RoleMember))},
				Check: func(*terraform.State) error {
					if u := a.serverUser(id); u.Version != version || !slices.Equal(u.Roles, []string{api.RoleMember}) {
						return fmt.Errorf("server holds version %d roles %v, want version %d roles [member]", u.Version, u.Roles, version)
					}
					return nil
				},
			},
			{
				// A setting only Terraform keeps: an update that sends nothing.
				Config: a.provider("") + userConfig(`
  email              = "kept@acme.test"
  restore_if_deleted = true`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("restore_if_deleted", knownvalue.Bool(true))},
				Check: func(*terraform.State) error {
					if u := a.serverUser(id); u.Version != version {
						return fmt.Errorf("the update was sent: version %d, was %d", u.Version, version)
					}
					return nil
				},
			},
		},
	})
}

// TestAccUser_rankTooHighFailsAtPlan: a manager's token may change only
// accounts ranked below a manager. Editing an admin's name fails at plan
// time on first_name, not at apply with 403 insufficient_rank.
func TestAccUser_rankTooHighFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	manager := a.tokenWithRole("manager@acme.test", api.RoleManager)
	boss := a.user("boss@acme.test", api.RoleAdmin)
	adopted := userConfig(`
  email = "boss@acme.test"
  roles = ["admin"]`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: a.provider("") + adopted + fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", userAddr, boss.ID)},
			{
				Config: a.provider(manager) + userConfig(`
  email      = "boss@acme.test"
  first_name = "Chief"
  roles      = ["admin"]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)User ranks too high.*first_name\s+=\s+"Chief".*"admin"\s+\(rank\s+80\).*role\s+manager\s+\(60\)`),
			},
			{
				// Read and planned without a change, the manager's token is fine.
				Config:   a.provider(manager) + adopted,
				PlanOnly: true,
			},
			{Config: a.provider("") + adopted}, // the owner's token destroys it
		},
	})
}

// TestAccUser_serverFieldErrorOnItsAttribute: a field the server refuses is
// reported on that attribute's line, once. The portal's clock is moved two
// days ahead, so an access end a day ahead passes the plan (the provider's
// clock) and is refused by the portal as past.
func TestAccUser_serverFieldErrorOnItsAttribute(t *testing.T) {
	a := newAcc(t)
	a.advance(48 * time.Hour)
	end := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: a.provider("") + userConfig(fmt.Sprintf(`
  email             = "later@acme.test"
  access_expires_at = %q`, end)),
			ExpectError: regexp.MustCompile(`(?s)Unable to create partner user.*\d+:\s+access_expires_at\s+=.*422\s+validation_failed:\s+access_expires_at:\s+must\s+be\s+in\s+the\s+future\s+\(request`),
		}},
	})
}
