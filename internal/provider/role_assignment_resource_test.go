package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

const assignAddr = "portal_role_assignment.test"

// assignConfig is a portal_role_assignment of role to the user id given as
// an expression (a quoted id, or a reference).
func assignConfig(userExpr, role string) string {
	return fmt.Sprintf(`
resource "portal_role_assignment" "test" {
  user_id = %[1]s
  role    = %[2]q
}
`, userExpr, role)
}

func assignValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(assignAddr, tfjsonpath.New(attr), v)
}

// heldRoles is the roles the server says the user holds.
func (a *acc) heldRoles(userID string) ([]string, error) {
	list, err := a.client.Grants.List(context.Background(), a.PartnerID, userID)
	if err != nil {
		return nil, err
	}
	var roles []string
	for _, g := range list.Grants {
		roles = append(roles, g.Role)
	}
	return roles, nil
}

// expectHeld is a Check: the server holds role for the user.
func (a *acc) expectHeld(userID, role string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		roles, err := a.heldRoles(userID)
		if err != nil {
			return err
		}
		if !slices.Contains(roles, role) {
			return fmt.Errorf("user %s holds %v on the server; want %q among them", userID, roles, role)
		}
		return nil
	}
}

// checkAssignmentsRevoked is a CheckDestroy: no grant that was in state is
// still held on the server.
func (a *acc) checkAssignmentsRevoked(s *terraform.State) error {
	for _, rs := range s.RootModule().Resources {
		if rs.Type != "portal_role_assignment" {
			continue
		}
		at := rs.Primary.Attributes
		list, err := a.client.Grants.List(context.Background(), at["partner_id"], at["user_id"])
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if findGrant(list, at["role"]) != nil {
			return fmt.Errorf("user %s still holds %q after destroy", at["user_id"], at["role"])
		}
	}
	return nil
}

func TestAccRoleAssignment_lifecycleAndImport(t *testing.T) {
	a := newAcc(t)
	u := a.user("grantee@acme.test") // made by hand, with no roles
	config := a.provider("") + assignConfig(fmt.Sprintf("%q", u.ID), api.RoleMember)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkAssignmentsRevoked,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					// The id is known at plan time, for a reviewer to read.
					plancheck.ExpectKnownValue(assignAddr, tfjsonpath.New("id"), knownvalue.StringExact(u.ID+"/member")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					assignValue("id", knownvalue.StringExact(u.ID+"/member")),
					assignValue("user_id", knownvalue.StringExact(u.ID)),
					assignValue("role", knownvalue.StringExact(api.RoleMember)),
					assignValue("partner_id", knownvalue.StringExact(a.PartnerID)),
					assignValue("granted_at", knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`))),
					assignValue("granted_by", knownvalue.StringRegexp(regexp.MustCompile(`^usr_`))),
				},
				Check: a.expectHeld(u.ID, api.RoleMember),
			},
			{
				ResourceName:      assignAddr,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return u.ID + "/member", nil },
			},
			{
				ResourceName:      assignAddr,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     a.PartnerID + "/" + u.ID + "/member",
			},
			{
				ResourceName:      assignAddr,
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return u.ID + "/member", nil },
			},
			{
				// A role the user does not hold is not there to import.
				ResourceName:  assignAddr,
				ImportState:   true,
				ImportStateId: u.ID + "/read_only",
				ExpectError:   regexp.MustCompile(`(?i)cannot\s+import\s+non-existent\s+remote\s+object`),
			},
			{
				ResourceName:  assignAddr,
				ImportState:   true,
				ImportStateId: u.ID,
				ExpectError:   regexp.MustCompile(`must\s+be\s+USER_ID/ROLE`),
			},
		},
	})
}

func TestAccRoleAssignment_invitedUserInSameApply(t *testing.T) {
	a := newAcc(t)
	// The user is created in the same apply: user_id is unknown at plan
	// time, and the new user is still "invited" when the role is granted.
	config := a.provider("") + userConfig(`  email = "fresh@acme.test"`) +
		assignConfig(userAddr+".id", api.RoleReadOnly)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(s *terraform.State) error {
			if err := a.checkAssignmentsRevoked(s); err != nil {
				return err
			}
			return a.checkUsersRemoved(s)
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					assignValue("role", knownvalue.StringExact(api.RoleReadOnly)),
					statecheck.CompareValuePairs(assignAddr, tfjsonpath.New("user_id"), userAddr, tfjsonpath.New("id"), compare.ValuesSame()),
				},
				Check: func(s *terraform.State) error {
					u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID)
					if u.Status != api.UserInvited || !slices.Equal(u.Roles, []string{api.RoleReadOnly}) {
						return fmt.Errorf("server holds %s with status %s and roles %v; want invited with [read_only]", u.ID, u.Status, u.Roles)
					}
					return nil
				},
			},
			{
				// The user's roles are left unmanaged: the grant is no drift for it.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

func TestAccRoleAssignment_revokedOutsideIsGrantedAgain(t *testing.T) {
	a := newAcc(t)
	u := a.user("drifty@acme.test", api.RoleReadOnly)
	config := a.provider("") + assignConfig(fmt.Sprintf("%q", u.ID), api.RoleMember)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             a.checkAssignmentsRevoked,
		Steps: []resource.TestStep{
			{Config: config, Check: a.expectHeld(u.ID, api.RoleMember)},
			{
				// Someone revokes the role in the portal by hand.
				PreConfig: func() {
					if err := a.client.Grants.Revoke(context.Background(), a.PartnerID, u.ID, api.RoleMember); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(assignAddr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					a.expectHeld(u.ID, api.RoleMember),
					// Additive: the role granted by hand is untouched.
					a.expectHeld(u.ID, api.RoleReadOnly),
				),
			},
		},
	})
	// Destroy revoked only the assignment's role.
	if roles, err := a.heldRoles(u.ID); err != nil || !slices.Equal(roles, []string{api.RoleReadOnly}) {
		t.Fatalf("after destroy the user holds %v (%v), want [read_only]", roles, err)
	}
}

func TestAccRoleAssignment_userRemovedOrMissing(t *testing.T) {
	a := newAcc(t)
	u := a.user("leaver@acme.test")
	config := a.provider("") + assignConfig(fmt.Sprintf("%q", u.ID), api.RoleMember)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					// Removed in the portal right after apply: the grant is gone with the access.
					return a.client.Users.Delete(context.Background(), a.PartnerID, u.ID, 0)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// The refresh dropped the grant of the removed user; a user that
				// does not exist is named in the error.
				Config:      a.provider("") + assignConfig(`"usr_nobody"`, api.RoleMember),
				ExpectError: regexp.MustCompile(`(?s)has\s+no\s+user\s+usr_nobody`),
			},
		},
	})
}

func TestAccRoleAssignment_badInputFailsAtPlan(t *testing.T) {
	a := newAcc(t)
	manager := a.tokenWithRole("m@acme.test", api.RoleManager)
	target := a.user("target@acme.test")
	id := fmt.Sprintf("%q", target.ID)
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"role key", a.provider("") + assignConfig(id, "Super Admin"), `not\s+a\s+role\s+key`},
		{"unknown role", a.provider("") + assignConfig(id, "wizard"), `(?s)Unknown\s+role.*has\s+no\s+role\s+"wizard"`},
		{"above the ceiling", a.provider(manager) + assignConfig(id, api.RoleManager),
			`(?s)ceiling.*"manager"\s+\(rank\s+60\).*role\s+is\s+"manager".*up\s+to\s+rank\s+40\s+\(member\)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)}},
			})
		})
	}
	// Nothing reached the server.
	if roles, err := a.heldRoles(target.ID); err != nil || len(roles) != 0 {
		t.Fatalf("after refused plans the target holds %v (%v), want none", roles, err)
	}
}

// A user whose roles are set by portal_partner_user.roles and also granted
// by portal_role_assignment gets a warning, not an error: apply goes on, and
// the two fight, which the next plan shows.
func TestAccRoleAssignment_managedTwiceOnlyWarns(t *testing.T) {
	a := newAcc(t)
	user := a.provider("") + userConfig(`
  email = "twice@acme.test"
  roles = ["member"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: user},
			{
				Config: user + assignConfig(userAddr+".id", api.RoleReadOnly),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(assignAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop),
				}},
				Check: func(s *terraform.State) error {
					u := a.serverUser(s.RootModule().Resources[userAddr].Primary.ID)
					if !slices.Equal(u.Roles, []string{api.RoleMember, api.RoleReadOnly}) {
						return fmt.Errorf("server holds roles %v, want [member read_only]", u.Roles)
					}
					return nil
				},
				// The user's authoritative roles now differ from the server's.
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

func TestRoleOwners_managedTwiceWarns(t *testing.T) {
	d := &providerData{owners: map[string]*roleOwnership{}}
	var diags diag.Diagnostics
	d.noteAssignment("usr_a", api.RoleMember, path.Root("role"), &diags)
	d.noteAuthoritativeRoles("usr_b", path.Root("roles"), &diags)
	if diags.WarningsCount() != 0 || diags.HasError() {
		t.Fatalf("different users: got %v, want no diagnostics", diags)
	}
	d.noteAuthoritativeRoles("usr_a", path.Root("roles"), &diags)
	if diags.HasError() || diags.WarningsCount() != 1 || diags.Warnings()[0].Summary() != "Roles managed twice" {
		t.Fatalf("same user: got %v, want one warning \"Roles managed twice\"", diags)
	}
	// In the other order, the assignment planned second warns.
	diags = nil
	d.noteAssignment("usr_b", api.RoleReadOnly, path.Root("role"), &diags)
	if diags.WarningsCount() != 1 || diags.Warnings()[0].Summary() != "Roles managed twice" {
		t.Fatalf("assignment after authoritative roles: got %v, want one warning", diags)
	}
	// An id not known yet (a user created in the same plan) is not noted.
	diags = nil
	d.noteAssignment("", api.RoleMember, path.Root("role"), &diags)
	d.noteAuthoritativeRoles("", path.Root("roles"), &diags)
	if len(diags) != 0 {
		t.Fatalf("unknown user id: got %v, want nothing", diags)
	}
}

// A user created in the same apply as its grant is matched by email: the
// user's plan notes its email while its id is unknown, and the grant, planned
// again by the apply once the user exists, finds it.
func TestRoleOwners_newUserMatchedByEmail(t *testing.T) {
	ctx := context.Background()
	d := &providerData{owners: map[string]*roleOwnership{}, users: newUserIndex(nil)}
	var diags diag.Diagnostics
	d.noteAssignmentToNewUser(ctx, "prt_1", "usr_new", path.Root("role"), &diags) // no new users planned: nothing read
	d.noteNewAuthoritativeUser("prt_1", "Twice@ACME.test")
	d.users.wrote(&api.User{ID: "usr_new", PartnerID: "prt_1", Email: "twice@acme.test"}) // the apply created it
	d.users.wrote(&api.User{ID: "usr_other", PartnerID: "prt_1", Email: "other@acme.test"})
	d.users.wrote(&api.User{ID: "usr_elsewhere", PartnerID: "prt_2", Email: "twice@acme.test"})
	d.noteAssignmentToNewUser(ctx, "prt_1", "usr_other", path.Root("role"), &diags)
	d.noteAssignmentToNewUser(ctx, "prt_2", "usr_elsewhere", path.Root("role"), &diags)
	if len(diags) != 0 {
		t.Fatalf("other users: got %v, want nothing", diags)
	}
	d.noteAssignment("usr_new", api.RoleReadOnly, path.Root("role"), &diags)
	d.noteAssignmentToNewUser(ctx, "prt_1", "usr_new", path.Root("role"), &diags)
	if diags.HasError() || diags.WarningsCount() != 1 || diags.Warnings()[0].Summary() != "Roles managed twice" ||
		!strings.Contains(diags.Warnings()[0].Detail(), "usr_new (twice@acme.test)") {
		t.Fatalf("the new user: got %v, want one warning \"Roles managed twice\" naming it", diags)
	}
	// Once the id is known to be managed authoritatively, noteAssignment
	// warns, and the email is not matched again.
	diags = nil
	d.noteAuthoritativeRoles("usr_new", path.Root("roles"), &diags)
	diags = nil
	d.noteAssignment("usr_new", api.RoleMember, path.Root("role"), &diags)
	d.noteAssignmentToNewUser(ctx, "prt_1", "usr_new", path.Root("role"), &diags)
	if diags.WarningsCount() != 1 {
		t.Fatalf("known by id: got %v, want the one warning of noteAssignment", diags)
	}
}

func TestRoleAssignment_parseImportID(t *testing.T) {
	for id, want := range map[string][3]string{
		"usr_1/member":           {"", "usr_1", "member"},
		" prt_9/usr_1/read_only": {"prt_9", "usr_1", "read_only"},
	} {
		p, u, r, err := parseAssignmentImportID(id)
		if err != nil || [3]string{p, u, r} != want {
			t.Errorf("parse %q = %q %q %q %v, want %q", id, p, u, r, err, want)
		}
	}
	for _, id := range []string{"", "usr_1", "usr_1/", "/member", "a/b/c/d", "prt_9//member"} {
		if _, _, _, err := parseAssignmentImportID(id); err == nil {
			t.Errorf("parse %q: want an error", id)
		}
	}
}

// Granting to a removed user answers 409 user_deleted; the error names the
// user and says what to do. (Unit-tested: the contract does not list 409 for
// PUT .../roles/{role_key} yet, so portaltest refuses that answer.)
func TestRoleAssignment_grantToRemovedUserError(t *testing.T) {
	err := &client.APIError{
		StatusCode: 409, Code: api.CodeUserDeleted, Detail: "user usr_gone was removed; restore it first", RequestID: "req_1",
		Problem: api.Problem{RestorableUserID: "usr_gone"},
	}
	var diags diag.Diagnostics
	(&roleAssignmentResource{}).addGrantError(context.Background(), &diags, "prt_1", "usr_gone", api.RoleMember, err)
	if len(diags) != 1 {
		t.Fatalf("got %v, want one error", diags)
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	want := regexp.MustCompile(`(?s)409 user_deleted.*req_1.*User usr_gone was removed from partner prt_1.*restore_if_deleted`)
	if !ok || !d.Path().Equal(path.Root("user_id")) || d.Summary() != "Unable to grant role" || !want.MatchString(d.Detail()) {
		t.Fatalf("got %T %q: %q", diags[0], diags[0].Summary(), diags[0].Detail())
	}
}

// The warning comes with the first apply, where the user and its grant are
// created together and the user's id is unknown at plan: the grant, planned
// again once the user exists, is matched to it by email.
func TestAccRoleAssignment_managedTwiceWarnsAtFirstApply(t *testing.T) {
	_, newDir := adoptionWorld(t)
	tf := newDir(`
resource "portal_partner_user" "u" {
  email      = "Twice.First@acme.test"
  first_name = "Twice"
  last_name  = "First"
  roles      = ["member"]
}

resource "portal_role_assignment" "a" {
  user_id = portal_partner_user.u.id
  role    = "read_only"
}
`)
	out := tf.mustRun(t, "apply", "-auto-approve")
	if !strings.Contains(out, "Roles managed twice") || !strings.Contains(strings.ToLower(out), "twice.first@acme.test") {
		t.Fatalf("first apply: want the warning \"Roles managed twice\" naming the user, got:\n%s", out)
	}
}
