package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
)

// Helpers for tests that run the real binaries as separate processes: a
// built provider found by terraform through dev_overrides, and portald, so
// that portald can be killed in the middle of an apply and Terraform is run
// exactly as people run it (for_each keys, -generate-config-out, TF_LOG).

// built holds the provider and portald, built once for the whole test binary.
var built struct {
	once                 sync.Once
	providerDir, portald string
	err                  error
}

// TestMain removes the binaries built for the tests once all have run.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.portald != "" {
		_ = os.RemoveAll(filepath.Dir(built.portald))
	}
	os.Exit(code)
}

// binaries returns the provider's folder (for dev_overrides) and portald,
// built from the working tree once per test binary into a shared folder.
func binaries(t *testing.T) (providerDir, portald string) {
	t.Helper()
	root := moduleRoot(t)
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "portal-binaries-") //nolint:usetesting // shared by every test of the binary; TestMain removes it
		if err != nil {
			built.err = err
			return
		}
		built.providerDir, built.portald = filepath.Join(dir, "plugins"), filepath.Join(dir, "portald")
		for _, b := range [][2]string{{filepath.Join(built.providerDir, "terraform-provider-portal"), "."}, {built.portald, "./cmd/portald"}} {
			cmd := exec.Command("go", "build", "-o", b[0], b[1])
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.providerDir, built.portald
}

// writeCLIConfig writes a Terraform CLI config that finds this provider in
// providerDir through dev_overrides, so no init and no registry are needed.
// The key is the plain source address, which Terraform reads as
// registry.terraform.io/partnerportal/portal and OpenTofu as
// registry.opentofu.org/partnerportal/portal: the same file serves both.
func writeCLIConfig(t *testing.T, providerDir string) string {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "terraformrc")
	cli := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"partnerportal/portal\" = %q\n  }\n  direct {}\n}\n", filepath.ToSlash(providerDir))
	if err := os.WriteFile(rc, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

// processWorld is portald run as a process on a fresh database in a
// temporary folder, and the provider built for terraform processes.
type processWorld struct {
	dir         string // the temporary folder, which holds the database
	providerDir string
	boot        *portalserver.BootstrapResult
	portald     *portaldProcess
}

// startProcessWorld skips t unless it may run acceptance tests, then starts
// portald on a new database with a partner and its owner.
func startProcessWorld(t *testing.T) *processWorld {
	t.Helper()
	requireAcc(t)
	dir := t.TempDir()
	providerDir, bin := binaries(t)
	db := filepath.Join(dir, "portal.db")
	w := &processWorld{dir: dir, providerDir: providerDir, boot: bootstrapFile(t, db), portald: &portaldProcess{bin: bin, db: db}}
	w.portald.start(t)
	return w
}

// tfDir is a working directory for config whose provider finds portald, the
// owner's token and the partner in the environment, with env added to it.
func (w *processWorld) tfDir(t *testing.T, config string, env ...string) *tfDir {
	t.Helper()
	return newTFDir(t, w.providerDir, config, append([]string{"PORTAL_ENDPOINT=http://" + w.portald.addr,
		"PORTAL_API_TOKEN=" + w.boot.Token, "PORTAL_PARTNER_ID=" + w.boot.PartnerID}, env...)...)
}

// client is a client of portald acting as the partner's owner.
func (w *processWorld) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: "http://" + w.portald.addr, Token: w.boot.Token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// portaldProcess is a portald serving a database on a fixed address.
type portaldProcess struct {
	bin, db, addr string
	dir           string // where it writes its address; default the database file's folder
	cmd           *exec.Cmd
}

func (p *portaldProcess) start(t *testing.T) {
	t.Helper()
	dir := p.dir
	if dir == "" {
		dir = filepath.Dir(p.db)
	}
	addrFile := filepath.Join(dir, "addr")
	_ = os.Remove(addrFile)
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	p.cmd = exec.Command(p.bin, "serve", "--db", p.db, "--addr", addr, "--addr-file", addrFile)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	for i := 0; ; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			p.addr = strings.TrimSpace(string(b))
			return
		}
		if i > 400 {
			t.Fatal("portald did not start")
		}
		time.Sleep(25 * time.Millisecond) // waiting for another process to listen
	}
}

// kill sends SIGKILL: no shutdown, no flush, nothing.
func (p *portaldProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// tfDir is a Terraform working directory using the built provider.
type tfDir struct {
	dir string
	env []string
}

func newTFDir(t *testing.T, providerDir, config string, env ...string) *tfDir {
	t.Helper()
	dir := t.TempDir()
	rc := writeCLIConfig(t, providerDir)
	if !strings.Contains(config, "required_providers") {
		config = exampleRequiredProviders + config
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tfDir{dir: dir, env: append(os.Environ(), append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1")...)}
}

func (d *tfDir) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, terraformPath(), args...)
	cmd.Dir, cmd.Env = d.dir, d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// run runs terraform and returns its exit code and output.
func (d *tfDir) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd, out := d.command(context.Background(), args...)
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("terraform %v: %v", args, err)
	}
	return 0, out.String()
}

// terraformPath is the Terraform (or OpenTofu) binary that tests run as a
// process: TF_ACC_TERRAFORM_PATH when set, as terraform-plugin-testing
// reads it for the other acceptance tests, else terraform on PATH.
func terraformPath() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	return "terraform"
}

// cliBinaries are the binaries a test of what people type runs on: the one
// the run gives (terraformPath) and, when the run gives none and
// ../shared/tools is beside the checkout (as in CI), Terraform 1.15.9 and
// OpenTofu 1.12.6 from there too. A run that gives a binary (CI's runs of
// the acceptance tests on 1.15.9 and 1.12.6) tests that one only.
func cliBinaries(t *testing.T) []string {
	t.Helper()
	bins := []string{terraformPath()}
	unpack := filepath.Join(moduleRoot(t), "..", "shared", "tools", "unpack")
	if os.Getenv("TF_ACC_TERRAFORM_PATH") != "" {
		return bins
	}
	if _, err := os.Stat(unpack); err != nil {
		return bins
	}
	for _, name := range []string{"terraform-1.15.9", "tofu-1.12.6"} {
		out, err := exec.CommandContext(t.Context(), unpack, name).Output()
		if err != nil {
			t.Fatalf("%s %s: %v", unpack, name, err)
		}
		bins = append(bins, strings.TrimSpace(string(out)))
	}
	return bins
}

// cliName is what a binary says it is, such as "Terraform v1.11.4" or
// "OpenTofu v1.12.6": the name of a subtest run on it.
func cliName(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), bin, "version").Output()
	if m := regexp.MustCompile(`(Terraform|OpenTofu) v\S+`).Find(out); err == nil && m != nil {
		return string(m)
	}
	t.Fatalf("%s version: %v\n%s", bin, err, out)
	return ""
}

// skipBelowTerraform skips a process-level test of a feature that binary
// (terraformPath) does not have: one older than major.minor, by the version
// it reports, as tfversion.SkipBelow does for resource.Test.
func skipBelowTerraform(t *testing.T, major, minor int) {
	t.Helper()
	if v := cliVersion(t); !v.atLeast(major, minor) {
		t.Skipf("%s is %d.%d; this test needs %d.%d or later", terraformPath(), v.major, v.minor, major, minor)
	}
}

// version is a binary's major and minor version.
type version struct{ major, minor int }

func (v version) atLeast(major, minor int) bool {
	return v.major > major || v.major == major && v.minor >= minor
}

// cliVersion is the version terraformPath reports, as
// terraform-plugin-testing reads it (OpenTofu's own numbers for OpenTofu).
func cliVersion(t *testing.T) version {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), terraformPath(), "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", terraformPath(), err)
	}
	m := regexp.MustCompile(`"terraform_version":\s*"(\d+)\.(\d+)\.`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s version -json: no version in %s", terraformPath(), out)
	}
	var v version
	v.major, _ = strconv.Atoi(string(m[1]))
	v.minor, _ = strconv.Atoi(string(m[2]))
	return v
}

// created201 is how many users portald has created since it started.
func created201(addr string) int {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	m := regexp.MustCompile(`route="POST /v1/partners/\{partner_id\}/users",status="201"\} (\d+)`).FindStringSubmatch(b.String())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func bootstrapFile(t *testing.T, db string) *portalserver.BootstrapResult {
	t.Helper()
	s, err := portalserver.Open(context.Background(), portalserver.Config{DBPath: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boot, err := s.Bootstrap(context.Background(), portalserver.BootstrapOptions{PartnerName: "Acme", OwnerEmail: "owner@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	return boot
}

// tfDir is a working directory whose terraform runs the built provider
// against the test's portald (in-process, with the test clock and outbox),
// for what terraform-plugin-testing does not show, such as a plan's warnings.
// The provider acts with token (the owner's when "").
func (a *acc) tfDir(token, config string) *tfDir {
	a.t.Helper()
	if token == "" {
		token = a.OwnerToken
	}
	providerDir, _ := binaries(a.t)
	return newTFDir(a.t, providerDir, config, "PORTAL_ENDPOINT="+a.URL, "PORTAL_API_TOKEN="+token, "PORTAL_PARTNER_ID="+a.PartnerID)
}
