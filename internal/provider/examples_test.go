package provider

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exampleRequiredProviders is written into a copied example that has no
// required_providers block of its own: without it, Terraform would look
// for hashicorp/portal instead of partnerportal/portal.
const exampleRequiredProviders = `terraform {
  required_providers {
    portal = {
      source = "partnerportal/portal"
    }
  }
}
`

// TestAccExamplesValidate runs `terraform validate` on every folder under
// examples/ that holds .tf files, against this provider built from the
// working tree, so the examples that the docs show cannot drift from the
// schema. It also checks that examples/ is formatted with `terraform fmt`.
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
	env := []string{"TF_CLI_CONFIG_FILE=" + writeCLIConfig(t, providerDir), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}

	dirs := exampleDirs(t, examples)
	for _, want := range []string{"provider", "quickstart"} {
		if !slices.Contains(dirs, want) {
			t.Errorf("examples/%s has no .tf files; want it validated", want)
		}
	}
	for _, dir := range dirs {
		t.Run(filepath.ToSlash(dir), func(t *testing.T) {
			t.Parallel()
			work := copyExample(t, filepath.Join(examples, dir))
			if out, err := runTerraform(t, work, env, "validate", "-no-color"); err != nil {
				t.Fatalf("terraform validate examples/%s: %v\n%s", filepath.ToSlash(dir), err, out)
			}
		})
	}
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

// copyExample copies the files of one example folder (not its subfolders,
// which are examples of their own) into a temporary folder, adding a
// required_providers block when none of its .tf files has one.
func copyExample(t *testing.T, src string) string {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	declared := false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(e.Name()) == ".tf" && bytes.Contains(b, []byte("required_providers")) {
			declared = true
		}
		if err := os.WriteFile(filepath.Join(work, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !declared {
		if err := os.WriteFile(filepath.Join(work, "zz_required_providers.tf"), []byte(exampleRequiredProviders), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return work
}

// runTerraform runs the terraform binary in dir with extra environment
// variables and returns its combined output.
func runTerraform(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "terraform", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
