package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// existingTeam creates, outside Terraform, the people a partner already has:
// different roles, names, phones, one with temporary access.
func existingTeam(t *testing.T, c *client.Client, partnerID string) []api.User {
	t.Helper()
	end := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	var out []api.User
	for i := range 12 {
		in := api.UserCreate{
			Email: fmt.Sprintf("Person%02d@adopt.test", i), FirstName: fmt.Sprintf("First%d", i), LastName: "Adopted",
			Roles: [][]string{{"member"}, {"manager", "member"}, {"read_only"}}[i%3],
		}
		if i%4 == 0 {
			in.Phone = fmt.Sprintf("+4420794600%02d", i)
		}
		if i == 5 {
			in.AccessExpiresAt = &end
		}
		u, err := c.Users.Create(context.Background(), partnerID, in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *u)
	}
	return out
}

// adoptionWorld is portald run as a process with twelve users made outside
// Terraform, and a way to make Terraform working directories against it.
// These tests use real terraform processes: terraform-plugin-testing's
// state checks cannot read the string keys of for_each resources.
func adoptionWorld(t *testing.T) (team []api.User, dir func(config string) *tfDir) {
	t.Helper()
	w := startProcessWorld(t)
	return existingTeam(t, w.client(t), w.boot.PartnerID), func(config string) *tfDir {
		return w.tfDir(t, "provider \"portal\" {}\n"+config)
	}
}

// mustRun runs terraform plan or apply and fails the test unless it
// succeeds; with -detailed-exitcode, that is an empty plan.
func (d *tfDir) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out := d.run(t, append([]string{args[0], "-input=false", "-no-color"}, args[1:]...)...)
	if code != 0 {
		t.Fatalf("terraform %v: exit %d\n%s", args, code, out)
	}
	return out
}

// showJSON decodes `terraform show -json [plan]` (its standard output only).
func (d *tfDir) showJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(terraformPath(), append([]string{"show", "-json"}, args...)...)
	cmd.Dir, cmd.Env = d.dir, d.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform show -json %v: %v", args, err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("terraform show -json %v: %v", args, err)
	}
}

func TestAccAdoption_importForEachOverTheUsersDataSource(t *testing.T) {
	team, newDir := adoptionWorld(t)
	config, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "adopt-existing-users", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	tf := newDir(strings.Replace(string(config), `"acme.example"`, `"adopt.test"`, 1))

	// One plan adopts all twelve and changes nobody.
	tf.mustRun(t, "plan", "-out=adopt.tfplan")
	var plan tfjson.Plan
	tf.showJSON(t, &plan, "adopt.tfplan")
	imports := 0
	for _, rc := range plan.ResourceChanges {
		if rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		if rc.Change.Importing == nil || !rc.Change.Actions.NoOp() {
			t.Fatalf("%s plans %v (importing: %v), want only an import", rc.Address, rc.Change.Actions, rc.Change.Importing != nil)
		}
		imports++
	}
	if imports != len(team) {
		t.Fatalf("%d imports planned, want %d", imports, len(team))
	}
	tf.mustRun(t, "apply", "adopt.tfplan") // a saved plan applies as planned
	tf.mustRun(t, "plan", "-detailed-exitcode")

	var state tfjson.State
	tf.showJSON(t, &state)
	ids := map[string]bool{}
	for _, r := range state.Values.RootModule.Resources {
		if r.Type == "portal_partner_user" {
			id, _ := r.AttributeValues["id"].(string)
			ids[id] = true
		}
	}
	for _, u := range team {
		if !ids[u.ID] {
			t.Fatalf("%s (%s) was not adopted", u.Email, u.ID)
		}
	}
}

// TestAccAdoption_generatedConfigPlansEmpty writes import blocks only, lets
// terraform generate the resources' configuration, and checks that the
// generated configuration applies the imports and then plans nothing,
// without a single edit. A person without a phone gets no phone line (the
// portal answers null), so the generated configuration leaves their phone
// to the portal instead of managing it as empty: OpenTofu writes every
// attribute that is not null.
func TestAccAdoption_generatedConfigPlansEmpty(t *testing.T) {
	team, newDir := adoptionWorld(t)
	var imports strings.Builder
	for i, u := range team {
		fmt.Fprintf(&imports, "\nimport {\n  to = portal_partner_user.p%02d\n  id = %q\n}\n", i, u.Email)
	}
	tf := newDir(imports.String())
	tf.mustRun(t, "plan", "-generate-config-out=generated.tf")
	generated, err := os.ReadFile(filepath.Join(tf.dir, "generated.tf"))
	if err != nil || strings.Count(string(generated), `resource "portal_partner_user"`) != len(team) {
		t.Fatalf("generated.tf (%v):\n%s", err, generated)
	}
	phones := regexp.MustCompile(`(?m)^\s*phone\s*=\s*"(.*)"`).FindAllStringSubmatch(string(generated), -1)
	withPhone := 0
	for _, u := range team {
		if u.Phone != nil {
			withPhone++
		}
	}
	if len(phones) != withPhone {
		t.Errorf("generated.tf has %d phone lines for the %d people with a phone:\n%s", len(phones), withPhone, generated)
	}
	for _, m := range phones {
		if m[1] == "" {
			t.Errorf("generated.tf manages a phone as empty (phone = \"\"):\n%s", generated)
			break
		}
	}
	if out := tf.mustRun(t, "apply", "-auto-approve"); !strings.Contains(out, fmt.Sprintf("%d imported, 0 added, 0 changed, 0 destroyed", len(team))) {
		t.Fatalf("apply of the generated configuration:\n%s\ngenerated.tf:\n%s", out, generated)
	}
	tf.mustRun(t, "plan", "-detailed-exitcode")
}

// TestAccAdoption_unmanagedAccessReport runs examples/unmanaged-access-report
// with ten of the twelve existing people in its CSV: it must name the other
// two, the partner's owner (managed nowhere) and a pending invitation.
func TestAccAdoption_unmanagedAccessReport(t *testing.T) {
	team, newDir := adoptionWorld(t)
	config, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "unmanaged-access-report", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	tf := newDir(string(config) + `
resource "portal_partner_invite" "waiting" {
  email = "newcomer@elsewhere.test"
  roles = ["member"]
}
`)
	csv := "email\n"
	for _, u := range team[:10] {
		csv += strings.ToUpper(u.Email) + "\n" // case does not matter
	}
	if err := os.WriteFile(filepath.Join(tf.dir, "team.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	tf.mustRun(t, "apply", "-auto-approve", "-var=team_csv=team.csv")
	tf.mustRun(t, "apply", "-auto-approve", "-var=team_csv=team.csv") // the invite now shows in the data source
	cmd := exec.Command(terraformPath(), "output", "-json", "unmanaged_access")
	cmd.Dir, cmd.Env = tf.dir, tf.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var report []struct{ Email, Status string }
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got []string
	for _, r := range report {
		got = append(got, strings.ToLower(r.Email))
	}
	want := []string{"owner@acme.test", strings.ToLower(team[10].Email), strings.ToLower(team[11].Email), "newcomer@elsewhere.test"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the report lists %v, want %v", got, want)
	}
}
