package provider

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// What README and the quickstart guide tell people to type must work on
// Terraform and on OpenTofu alike: these tests run it on each binary of
// cliBinaries (the run's, and without one given, Terraform 1.15.9 and
// OpenTofu 1.12.6 from ../shared/tools when it is there).

// TestAccQuickstartNoOpPlanIsEmpty applies examples/quickstart as written,
// against a fresh portald, with the provider found through the plain
// dev_overrides key of the quickstart guide, and checks that the plan right
// after it is empty (exit code 0 with -detailed-exitcode).
func TestAccQuickstartNoOpPlanIsEmpty(t *testing.T) {
	requireAcc(t)
	providerDir, _ := binaries(t)
	cliEnv := []string{"TF_CLI_CONFIG_FILE=" + writeCLIConfig(t, providerDir), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
	examples := filepath.Join(moduleRoot(t), "examples")
	for _, bin := range cliBinaries(t) {
		t.Run(cliName(t, bin), func(t *testing.T) {
			env := portaltest.Start(t, portaltest.Options{})
			folder := filepath.Join(copyExamples(t, examples), "quickstart")
			tfEnv := append(cliEnv, "PORTAL_ENDPOINT="+env.URL, "PORTAL_API_TOKEN="+env.OwnerToken, "PORTAL_PARTNER_ID="+env.PartnerID)
			out, err := runCLI(t, bin, folder, tfEnv, "apply", "-auto-approve", "-input=false", "-no-color")
			if err != nil || !strings.Contains(out, "6 added, 0 changed, 0 destroyed") {
				t.Fatalf("apply of examples/quickstart: %v; want the six people of team.csv added\n%s", err, out)
			}
			out, err = runCLI(t, bin, folder, tfEnv, "plan", "-detailed-exitcode", "-input=false", "-no-color")
			if err != nil || !strings.Contains(out, "No changes.") {
				t.Fatalf("plan of examples/quickstart right after its apply: %v; want no changes\n%s", err, out)
			}
		})
	}
}

// TestAccDebugReattachLineWorksOnBothTools starts the provider with -debug,
// as README says, and runs a plan with the TF_REATTACH_PROVIDERS line it
// prints, unchanged, and no CLI config: the provider is found only through
// that line, whose key both tools must accept.
func TestAccDebugReattachLineWorksOnBothTools(t *testing.T) {
	a := newAcc(t)
	providerDir, _ := binaries(t)
	cmd := exec.CommandContext(t.Context(), filepath.Join(providerDir, "terraform-provider-portal"), "-debug")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "TF_REATTACH_PROVIDERS="); ok {
				line <- strings.Trim(v, "'")
			}
		}
	}()
	var reattach string
	select {
	case reattach = <-line:
	case <-time.After(30 * time.Second):
		t.Fatal("the provider started with -debug printed no TF_REATTACH_PROVIDERS line")
	}
	if !strings.HasPrefix(reattach, `{"partnerportal/portal":`) {
		t.Errorf("TF_REATTACH_PROVIDERS = %s; want it keyed by the plain source partnerportal/portal", reattach)
	}
	noConfig := filepath.Join(t.TempDir(), "empty.tfrc")
	if err := os.WriteFile(noConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	config := exampleRequiredProviders + a.provider("") + `
data "portal_partner" "p" {}

output "name" {
  value = data.portal_partner.p.name
}
`
	for _, bin := range cliBinaries(t) {
		t.Run(cliName(t, bin), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			env := []string{"TF_REATTACH_PROVIDERS=" + reattach, "TF_CLI_CONFIG_FILE=" + noConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
			out, err := runCLI(t, bin, dir, env, "plan", "-input=false", "-no-color")
			if err != nil || !regexp.MustCompile(`name\s+=\s+"Acme"`).MatchString(out) {
				t.Fatalf("plan with the -debug line: %v; want the partner read through the reattached provider\n%s", err, out)
			}
		})
	}
}
