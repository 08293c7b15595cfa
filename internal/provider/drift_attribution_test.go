package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

const auditListRoute = "GET /v1/partners/{partner_id}/audit-events"

// driftTeam is two users managed by Terraform.
const driftTeam = `
provider "portal" {}
resource "portal_partner_user" "ana" {
  email      = "ana@acme.test"
  first_name = "Ana"
  roles      = ["member"]
}
resource "portal_partner_user" "bo" {
  email              = "bo@acme.test"
  roles              = ["member"]
  restore_if_deleted = true
}
`

// TestAccDriftAttributed: a change made in the portal by hand shows in the
// plan as a warning on the resource, naming what changed, who changed it,
// when and the request; a user removed by hand too. The plan reads the
// audit trail once for both.
func TestAccDriftAttributed(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	tf := a.tfDir(a.tokenWithRole("terraform@acme.test", api.RoleAdmin), driftTeam)
	tf.mustRun(t, "apply", "-auto-approve")
	ana, bo := a.userByEmail("ana@acme.test"), a.userByEmail("bo@acme.test")
	roles := []string{"manager", "member"}
	if _, err := a.client.Users.Update(ctx, a.PartnerID, ana.ID, api.UserUpdate{Roles: &roles}, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.client.Users.Delete(ctx, a.PartnerID, bo.ID, 0); err != nil {
		t.Fatal(err)
	}
	owner := a.serverUser(a.OwnerID).Email
	reads := requests(t, a.Env, auditListRoute)
	code, out := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 2 {
		t.Fatalf("plan exit %d, want 2 (changes):\n%s", code, out)
	}
	for what, re := range map[string]string{
		"ana's roles": `(?s)Warning: ana@acme.test changed outside Terraform.*User ` + ana.ID + ` \(ana@acme.test\) was changed outside\s+Terraform: roles: "member" → "manager", "member".*Changed by\s+` +
			regexp.QuoteMeta(owner) + `\s+at\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+\(user.updated,\s+request\s+\S+,\s+audit\s+event\s+evt_\d+\)`,
		"bo's removal": `(?s)Warning: bo@acme.test changed outside Terraform.*User ` + bo.ID + ` \(bo@acme.test\) was changed outside\s+Terraform: status: \w+ → deleted.*Changed by\s+` +
			regexp.QuoteMeta(owner) + `.*user.deleted`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("the plan does not attribute %s:\n%s", what, out)
		}
	}
	if n := requests(t, a.Env, auditListRoute) - reads; n != 1 {
		t.Errorf("the plan read the audit trail %d times, want once for both users", n)
	}
	// Applied, the plan after is empty and reads no audit trail: no drift.
	tf.mustRun(t, "apply", "-auto-approve")
	reads = requests(t, a.Env, auditListRoute)
	if out := tf.mustRun(t, "plan", "-detailed-exitcode"); strings.Contains(out, "changed outside Terraform") {
		t.Errorf("a plan without drift warns:\n%s", out)
	}
	if n := requests(t, a.Env, auditListRoute) - reads; n != 0 {
		t.Errorf("a plan without drift read the audit trail %d times", n)
	}
}

// TestAccDriftAttributed_noAuditPermission: a token that may manage users
// but not read the audit trail gets the drift warnings, and one warning
// that it cannot say who made the changes; the plan goes on.
func TestAccDriftAttributed_noAuditPermission(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	a.role(api.RoleCreate{Key: "people", Name: "People", Rank: 70,
		Permissions: []string{api.PermUsersManage, api.PermUsersRead, api.PermRolesRead, api.PermPartnerRead}})
	tf := a.tfDir(a.tokenWithRole("terraform@acme.test", "people"), driftTeam)
	tf.mustRun(t, "apply", "-auto-approve")
	for _, email := range []string{"ana@acme.test", "bo@acme.test"} {
		name := "Changed"
		if _, err := a.client.Users.Update(ctx, a.PartnerID, a.userByEmail(email).ID, api.UserUpdate{FirstName: &name}, 0); err != nil {
			t.Fatal(err)
		}
	}
	code, out := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 2 {
		t.Fatalf("plan exit %d, want 2 (changes):\n%s", code, out)
	}
	if n := len(regexp.MustCompile(`Warning: \S+ changed outside Terraform`).FindAllString(out, -1)); n != 2 {
		t.Errorf("%d drift warnings, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, "Warning: Cannot say who changed access outside Terraform"); n != 1 {
		t.Errorf("%d warnings about the audit trail, want 1:\n%s", n, out)
	}
	if !regexp.MustCompile(`(?s)needs the\s+permission\s+audit.read`).MatchString(out) {
		t.Errorf("the warning does not name the permission:\n%s", out)
	}
}

// TestAccDriftAttributed_roster: a person of a roster changed by hand gets
// the same warning, naming the person.
func TestAccDriftAttributed_roster(t *testing.T) {
	a := newAcc(t)
	tf := a.tfDir(a.tokenWithRole("terraform@acme.test", api.RoleAdmin), `
provider "portal" {}
resource "portal_partner_roster" "team" {
  users = {
    "ana@acme.test" = { roles = ["member"], phone = "+14155550100" }
    "bo@acme.test"  = { roles = ["member"] }
  }
}
`)
	tf.mustRun(t, "apply", "-auto-approve")
	phone := "+14155550199"
	if _, err := a.client.Users.Update(context.Background(), a.PartnerID, a.userByEmail("ana@acme.test").ID, api.UserUpdate{Phone: &phone}, 0); err != nil {
		t.Fatal(err)
	}
	code, out := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 2 {
		t.Fatalf("plan exit %d, want 2 (changes):\n%s", code, out)
	}
	re := `(?s)Warning: ana@acme.test changed outside Terraform.*users\["ana@acme.test"\] of the roster.*phone: "\+14155550100" → "\+14155550199".*Changed\s+by\s+` +
		regexp.QuoteMeta(a.serverUser(a.OwnerID).Email)
	if !regexp.MustCompile(re).MatchString(out) || strings.Contains(out, "bo@acme.test changed") {
		t.Errorf("the plan does not attribute ana's phone alone:\n%s", out)
	}
}

// TestUserDrift: names, phone and roles changed are drift; a status that
// moves by itself (a password set, access ending) is not; an import has
// nothing to compare with.
func TestUserDrift(t *testing.T) {
	roles := func(keys ...string) types.Set {
		s, _ := stringSet(t.Context(), keys)
		return s
	}
	was := userModel{FirstName: types.StringValue("Ana"), LastName: types.StringValue("Silva"), Phone: types.StringValue(""),
		Roles: roles("member"), Status: types.StringValue(api.UserInvited)}
	now := was
	now.Status = types.StringValue(api.UserActive)
	if d := userDrift(was, now); len(d) != 0 {
		t.Errorf("invited to active is drift: %v", d)
	}
	now.Phone, now.Roles = types.StringValue("+14155550100"), roles("admin", "member")
	d := userDrift(was, now)
	if len(d) != 2 || d[0].attr != "phone" || d[1].attr != "roles" || d[1].was != `"member"` || d[1].is != `"admin", "member"` {
		t.Errorf("phone and roles changed: %+v", d)
	}
	if d := userDrift(userModel{Status: types.StringNull()}, now); d != nil {
		t.Errorf("an import is drift: %v", d)
	}
	if d := removedDrift(types.StringValue(api.UserActive)); len(d) != 1 || d[0].is != api.UserDeleted {
		t.Errorf("a removal: %+v", d)
	}
}

// TestChangesAny: an audit event matches a drift when it changes one of
// the attributes, or removes the user for a removal.
func TestChangesAny(t *testing.T) {
	ev := &api.AuditEvent{Action: api.AuditUserUpdated,
		Before: map[string]any{"phone": "", "roles": []any{"member"}}, After: map[string]any{"phone": "", "roles": []any{"admin", "member"}}}
	if changesAny(ev, []string{"phone"}) || !changesAny(ev, []string{"phone", "roles"}) {
		t.Error("an update of roles only")
	}
	if changesAny(&api.AuditEvent{Action: api.AuditUserDeleted}, []string{"roles"}) || !changesAny(&api.AuditEvent{Action: api.AuditUserDeleted}, []string{"status"}) {
		t.Error("a removal")
	}
}
