package provider

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// exampleRequiredProviders is the required_providers block every example
// folder declares (without it Terraform looks for hashicorp/portal); tests
// that write a configuration of their own put it in front of theirs.
const exampleRequiredProviders = `terraform {
  required_providers {
    portal = {
      source = "partnerportal/portal"
    }
  }
}
`

// exampleNeeds are the example folders that need a newer binary than the
// oldest we support, by the version their features need: they are left out
// on an older one, and CI runs them on Terraform 1.15.
var exampleNeeds = map[string]version{
	"actions/portal_invite_resend":  {1, 14},
	"actions/portal_password_reset": {1, 14},
}

// exampleValidateOnly are the example files that need objects a fresh
// portal does not have, with why. They are validated with the rest of
// their folder; every other folder is applied and destroyed without them.
// A new example is applied unless it is added here.
var exampleValidateOnly = map[string]string{
	"provider/provider.tf": "a placeholder endpoint and partner id",
	"resources/portal_partner_invite/import-by-string-id.tf":  "imports a placeholder invite id",
	"resources/portal_partner_user/import-by-string-id.tf":    "imports a user who must exist",
	"resources/portal_role/import-by-string-id.tf":            "imports the role its resource.tf creates",
	"resources/portal_role_assignment/resource.tf":            "grants a role to a placeholder user id",
	"resources/portal_role_assignment/import-by-string-id.tf": "imports a placeholder user id's grant",
	"data-sources/portal_audit_events/data-source.tf":         "reads the history of a user who must exist",
	"data-sources/portal_partner/data-source.tf":              "reads a placeholder partner id",
	"data-sources/portal_partner_user/data-source.tf":         "reads a user who must exist, and a placeholder id",
	"data-sources/portal_partner_users/data-source.tf":        "adopts every user, the owner running the test too, whom destroy may not remove",
}

// identityImportExample is the file of a resource's examples that imports
// it by identity: an import block with identity needs Terraform 1.12 or
// OpenTofu 1.12, and older binaries cannot parse it, so there it is left
// out of the folder's validation; it is never applied (its ids are
// placeholders).
const identityImportExample = "import-by-identity.tf"

// TestAccExamplesValidate runs every folder under examples/ that holds .tf
// files as it is written, against this provider built from the working
// tree, so that the examples the docs show can neither drift from the
// schema nor stop working: each folder is validated, then, against a
// fresh portald of its own, applied, planned again (which must show no
// change), destroyed, and the portal checked to hold none of what it made.
// The files of exampleValidateOnly are left out of the apply. It also
// checks that examples/ is formatted with `terraform fmt`.
//
// The provider is found through dev_overrides in a Terraform CLI config of
// the test's own, so no `terraform init` and no registry are needed.
func TestAccExamplesValidate(t *testing.T) {
	requireAcc(t)
	root := moduleRoot(t)
	examples := filepath.Join(root, "examples")

	t.Run("fmt", func(t *testing.T) {
		out, err := runTerraform(t, examples, nil, "fmt", "-check", "-recursive", "-diff", "-no-color")
		if err != nil {
			t.Fatalf("terraform fmt -check -recursive examples/: %v; run `make fmt`\n%s", err, out)
		}
	})

	providerDir, _ := binaries(t)
	cliEnv := []string{"TF_CLI_CONFIG_FILE=" + writeCLIConfig(t, providerDir), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}

	identity := cliVersion(t).atLeast(1, 12)
	dirs := exampleDirs(t, examples)
	for _, want := range []string{"provider", "quickstart"} {
		if !slices.Contains(dirs, want) {
			t.Errorf("examples/%s has no .tf files; want it validated", want)
		}
	}
	applied := 0
	for _, dir := range dirs {
		apply := len(applyFiles(t, examples, dir)) > 0
		if apply {
			applied++
		}
		t.Run(filepath.ToSlash(dir), func(t *testing.T) {
			t.Parallel()
			name := "examples/" + filepath.ToSlash(dir)
			if need, ok := exampleNeeds[filepath.ToSlash(dir)]; ok {
				skipBelowTerraform(t, need.major, need.minor)
			}
			work := copyExamples(t, examples)
			folder := filepath.Join(work, dir)
			// The identity import is validated on its own, in place of the
			// import by id of the same resource.
			byIdentity, err := os.ReadFile(filepath.Join(folder, identityImportExample))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			removeExample(t, folder, identityImportExample)
			if out, err := runTerraform(t, folder, cliEnv, "validate", "-no-color"); err != nil {
				t.Fatalf("terraform validate %s: %v\n%s", name, err, out)
			}
			if identity && byIdentity != nil {
				removeExample(t, folder, "import-by-string-id.tf")
				if err := os.WriteFile(filepath.Join(folder, identityImportExample), byIdentity, 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err := runTerraform(t, folder, cliEnv, "validate", "-no-color"); err != nil {
					t.Fatalf("terraform validate %s with %s: %v\n%s", name, identityImportExample, err, out)
				}
				removeExample(t, folder, identityImportExample)
			}
			if !apply {
				return
			}
			for _, f := range tfFiles(t, folder) {
				if _, skip := exampleValidateOnly[filepath.ToSlash(filepath.Join(dir, f))]; skip {
					if err := os.Remove(filepath.Join(folder, f)); err != nil {
						t.Fatal(err)
					}
				}
			}
			applyExample(t, name, folder, cliEnv)
		})
	}
	if applied < len(dirs)/2 {
		t.Errorf("only %d of %d example folders are applied; want most of them to run as written", applied, len(dirs))
	}
}

// removeExample removes the file name from folder, if it is there.
func removeExample(t *testing.T, folder, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(folder, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// applyExample applies the example in folder against a fresh portald, as
// its owner, plans it again, destroys it and checks that the portal is back
// to its bootstrapped partner: no user but the owner, no pending
// invitation, no custom role.
func applyExample(t *testing.T, name, folder string, cliEnv []string) {
	t.Helper()
	env := portaltest.Start(t, portaltest.Options{})
	tfEnv := append(slices.Clone(cliEnv), "PORTAL_ENDPOINT="+env.URL, "PORTAL_API_TOKEN="+env.OwnerToken, "PORTAL_PARTNER_ID="+env.PartnerID)
	if out, err := runTerraform(t, folder, tfEnv, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform apply %s against a fresh portald: %v\n%s", name, err, out)
	}
	out, err := runTerraform(t, folder, tfEnv, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if err != nil {
		t.Errorf("terraform plan %s right after its apply: %v; want no changes\n%s", name, err, out)
	}
	// Destroying every person an example made is what the removal guard
	// refuses; the test lets it through for this run, as its error says.
	destroyEnv := append(slices.Clone(tfEnv), envRemovalGuardFraction+"=1")
	if out, err := runTerraform(t, folder, destroyEnv, "destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform destroy %s: %v\n%s", name, err, out)
	}

	c, err := client.New(client.Config{Endpoint: env.URL, Token: env.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users, err := c.Users.ListAll(ctx, env.PartnerID, api.UserListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.ID != env.OwnerID {
			t.Errorf("after destroying %s, %s (%s) still has access", name, u.Email, u.Status)
		}
	}
	invites, err := c.Invites.ListAll(ctx, env.PartnerID, api.InviteListOptions{Status: api.InvitePending})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range invites {
		t.Errorf("after destroying %s, the invitation of %s is still pending", name, i.Email)
	}
	roles, err := c.Roles.ListAll(ctx, env.PartnerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if !r.BuiltIn {
			t.Errorf("after destroying %s, the custom role %s is still there", name, r.Key)
		}
	}
}

// TestExamplesDeclareTheProvider: every example folder says which provider
// "portal" is, so that it runs as written, and exampleValidateOnly names
// files that exist.
func TestExamplesDeclareTheProvider(t *testing.T) {
	examples := filepath.Join(moduleRoot(t), "examples")
	source := regexp.MustCompile(`(?s)required_providers\s*\{.*portal\s*=\s*\{[^}]*source\s*=\s*"partnerportal/portal"`)
	for _, dir := range exampleDirs(t, examples) {
		declared := false
		for _, f := range tfFiles(t, filepath.Join(examples, dir)) {
			b, err := os.ReadFile(filepath.Join(examples, dir, f))
			if err != nil {
				t.Fatal(err)
			}
			declared = declared || source.Match(b)
		}
		if !declared {
			t.Errorf("examples/%s does not declare portal = { source = \"partnerportal/portal\" } in required_providers; Terraform would look for hashicorp/portal", filepath.ToSlash(dir))
		}
	}
	for f := range exampleValidateOnly {
		if _, err := os.Stat(filepath.Join(examples, filepath.FromSlash(f))); err != nil {
			t.Errorf("exampleValidateOnly names examples/%s: %v", f, err)
		}
	}
}

// TestExamplesHaveTheirOwnEmails: no email address is used by two example
// folders, so that applying two of them to one portal never fails with
// email_taken.
func TestExamplesHaveTheirOwnEmails(t *testing.T) {
	examples := filepath.Join(moduleRoot(t), "examples")
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)
	folders := map[string][]string{} // lower-case email → folders using it
	tree := examplesFS(t, examples)
	err := fs.WalkDir(tree, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(tree, path)
		if err != nil {
			return err
		}
		rel := filepath.Dir(filepath.FromSlash(path))
		for _, m := range email.FindAll(b, -1) {
			e := strings.ToLower(string(m))
			if !slices.Contains(folders[e], rel) {
				folders[e] = append(folders[e], rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(folders) < 10 {
		t.Fatalf("found %d email addresses under examples/, want the examples' own", len(folders))
	}
	var shared []string
	for e, in := range folders {
		if len(in) > 1 {
			sort.Strings(in)
			shared = append(shared, e+" in "+strings.Join(in, ", "))
		}
	}
	sort.Strings(shared)
	for _, s := range shared {
		t.Errorf("%s: give each example folder emails of its own", s)
	}
}

// applyFiles lists the .tf files of an example folder that are applied:
// those not in exampleValidateOnly.
func applyFiles(t *testing.T, examples, dir string) []string {
	t.Helper()
	var files []string
	for _, f := range tfFiles(t, filepath.Join(examples, dir)) {
		if _, skip := exampleValidateOnly[filepath.ToSlash(filepath.Join(dir, f))]; !skip && f != identityImportExample {
			files = append(files, f)
		}
	}
	return files
}

// tfFiles lists the names of the .tf files directly in dir.
func tfFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".tf" {
			files = append(files, e.Name())
		}
	}
	return files
}

// moduleRoot is the folder of go.mod, found with `go env GOMOD`.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD = %q, %v; want this module's go.mod", gomod, err)
	}
	return filepath.Dir(gomod)
}

// exampleDirs lists the folders under examples (relative to it) that hold
// at least one .tf file.
func exampleDirs(t *testing.T, examples string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(examples, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".tf" {
			return nil
		}
		rel, err := filepath.Rel(examples, filepath.Dir(path))
		if err != nil {
			return err
		}
		if !slices.Contains(dirs, rel) {
			dirs = append(dirs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list examples: %v", err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no .tf files under %s", examples)
	}
	return dirs
}

// copyExamples copies the examples tree into a temporary folder, so that
// an example runs where it sits, its relative paths (../quickstart/team.csv)
// intact, and leaves nothing behind in the repository. Terraform's own
// files (.terraform, state, lock files) are not copied.
func copyExamples(t *testing.T, examples string) string {
	t.Helper()
	work := t.TempDir()
	tree := examplesFS(t, examples)
	err := fs.WalkDir(tree, ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case d.IsDir() && name == ".terraform":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(work, filepath.FromSlash(rel)), 0o700)
		case strings.Contains(name, ".tfstate") || name == ".terraform.lock.hcl":
			return nil
		}
		b, err := fs.ReadFile(tree, rel)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(work, filepath.FromSlash(rel)), b, 0o600)
	})
	if err != nil {
		t.Fatalf("copy examples: %v", err)
	}
	return work
}

// examplesFS is the examples tree, opened so that nothing read through it
// can lead outside it.
func examplesFS(t *testing.T, examples string) fs.FS {
	t.Helper()
	root, err := os.OpenRoot(examples)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return root.FS()
}

// runTerraform runs the terraform binary (terraformPath) in dir with extra
// environment variables and returns its combined output.
func runTerraform(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	return runCLI(t, terraformPath(), dir, env, args...)
}

// runCLI is runTerraform with the binary bin.
func runCLI(t *testing.T, bin, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
