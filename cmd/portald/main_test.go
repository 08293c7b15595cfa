package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// buildPortald compiles the command once for the test.
func buildPortald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portald")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `portald serve` with the extra flags and waits until it answers /healthz.
func startServe(t *testing.T, bin, db, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--db", db, "--addr", addr}, extra...)...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			return cmd
		}
		if i > 200 {
			t.Fatalf("portald did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(25 * time.Millisecond) // polling a starting process, not standing in for synchronisation of our own code
	}
}

func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestBootstrapServeKillAndRestart(t *testing.T) {
	bin := buildPortald(t)
	db := portaltest.Database(t)

	out, err := exec.Command(bin, "bootstrap", "--db", db, "--partner", "Acme", "--owner-email", "owner@acme.test").Output()
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot portalserver.BootstrapResult
	if err := json.Unmarshal(out, &boot); err != nil || boot.PartnerID == "" || !strings.HasPrefix(boot.Token, "ptk_") {
		t.Fatalf("bootstrap printed %q (%v), want one JSON object with partner_id and token", out, err)
	}
	if lines := bufio.NewScanner(bytes.NewReader(out)); !lines.Scan() || lines.Scan() {
		t.Fatalf("bootstrap printed more than one line: %q", out)
	}

	// The binary's exit status for a command line it cannot use.
	err = exec.Command(bin, "serve", "--db", db, "extra", "--addr", "127.0.0.1:0").Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("serve with a stray argument: %v, want exit status 2", err)
	}

	addr := freeAddr(t)
	cmd := startServe(t, bin, db, addr)
	base := "http://" + addr + "/v1/partners/" + boot.PartnerID + "/users"
	for i := range 20 {
		status, b := call(t, http.MethodPost, base, boot.Token, api.UserCreate{Email: fmt.Sprintf("u%d@acme.test", i), Roles: []string{api.RoleMember}})
		if status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, status, b)
		}
	}
	// kill -9: no chance to flush or close anything.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cmd = startServe(t, bin, db, addr)
	status, b := call(t, http.MethodGet, base+"?page_size=500", boot.Token, nil)
	var list api.UserList
	if err := json.Unmarshal(b, &list); err != nil || status != http.StatusOK {
		t.Fatalf("list after restart: %d %s", status, b)
	}
	if len(list.Users) != 21 {
		t.Fatalf("%d users after kill -9 and restart, want 21 (owner and 20 created)", len(list.Users))
	}
	// SIGTERM: a graceful stop with exit status 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("portald after SIGTERM: %v", err)
	}
}

// The public routes' limit is on by default and the flags set it.
func TestPublicRateLimitFlags(t *testing.T) {
	bin := buildPortald(t)
	accept := func(addr string) *http.Response {
		t.Helper()
		res, err := http.Post("http://"+addr+"/v1/invites/accept", "application/json",
			strings.NewReader(`{"token":"invtok_guess","password":"correct horse battery"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	addr := freeAddr(t)
	startServe(t, bin, filepath.Join(t.TempDir(), "a.db"), addr, "--public-rate-burst", "2")
	for i := range 2 {
		if res := accept(addr); res.StatusCode != http.StatusNotFound || res.Header.Get("RateLimit-Limit") != "2" {
			t.Fatalf("accept %d: %d with RateLimit-Limit %q, want 404 with 2", i+1, res.StatusCode, res.Header.Get("RateLimit-Limit"))
		}
	}
	if res := accept(addr); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a 3rd accept past --public-rate-burst 2: %d, want 429 with Retry-After", res.StatusCode)
	}
	addr = freeAddr(t)
	startServe(t, bin, filepath.Join(t.TempDir(), "b.db"), addr, "--public-rate-limit", "0")
	for range 15 {
		if res := accept(addr); res.StatusCode != http.StatusNotFound || res.Header.Get("RateLimit-Limit") != "" {
			t.Fatalf("with --public-rate-limit 0: %d with RateLimit-Limit %q, want 404 and no limit", res.StatusCode, res.Header.Get("RateLimit-Limit"))
		}
	}
}

// portald runs the command as main does, returning its exit status and output.
func portald(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = exitCode(run(args, &out, &errs), &errs)
	return code, out.String(), errs.String()
}

func TestUsageErrors(t *testing.T) {
	if code, _, stderr := portald(); code != 2 || !strings.Contains(stderr, "Usage") {
		t.Fatalf("no command: exit %d, stderr %q; want 2 with the usage", code, stderr)
	}
	if code, _, stderr := portald("bootstrap", "--db", filepath.Join(t.TempDir(), "x.db")); code != 2 || !strings.Contains(stderr, "--owner-email") {
		t.Fatalf("bootstrap without a partner: exit %d, %s", code, stderr)
	}
	if code, _, _ := portald("bootstrap", "--db", filepath.Join(t.TempDir(), "x.db"), "--partner", "A", "--owner-email", "nope"); code != 1 {
		t.Fatalf("bootstrap with an invalid owner email: exit %d, want 1", code)
	}
	if _, err := os.Stat("portal.db"); err == nil {
		t.Fatal("a test wrote portal.db into the source tree")
	}
}

// The command line is used as written or refused: nothing is ignored.
func TestCommandLineRefusesWhatItWouldIgnore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"a stray argument before a flag", []string{"serve", "--db", db, "extra", "--addr", "127.0.0.1:18093"}, `unexpected argument "extra"`},
		{"a negative rate limit", []string{"serve", "--db", db, "--rate-limit", "-5"}, "--rate-limit must be 0 (off) or a positive"},
		{"a negative burst", []string{"serve", "--db", db, "--rate-limit", "5", "--rate-burst", "-1"}, "--rate-burst must be"},
		{"a burst without a rate", []string{"serve", "--db", db, "--rate-burst", "10"}, "no effect without --rate-limit"},
		{"a negative public rate limit", []string{"serve", "--db", db, "--public-rate-limit", "-1"}, "--public-rate-limit must be 0 (off) or a positive"},
		{"a public burst of 0", []string{"serve", "--db", db, "--public-rate-burst", "0"}, "--public-rate-burst must be positive"},
		{"a relative public URL", []string{"serve", "--db", db, "--public-url", "portal.example"}, "--public-url must be an absolute"},
		{"an unknown flag", []string{"serve", "--db", db, "--port", "1"}, "flag provided but not defined: -port"},
		{"bootstrap's stray argument", []string{"bootstrap", "--db", db, "--operator", "now"}, `unexpected argument "now"`},
		{"an operator with a partner", []string{"bootstrap", "--db", db, "--operator", "--partner", "Acme"}, "--operator creates no partner"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := portald(c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "Usage:") {
				t.Fatalf("exit %d, stderr %q; want 2, %q and the usage", code, stderr, c.want)
			}
		})
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("a refused command line created the database")
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"serve", "-h"}, {"serve", "--help"}, {"bootstrap", "-h"}} {
		code, stdout, stderr := portald(args...)
		if code != 0 || !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args, code, stdout, stderr)
		}
	}
	_, top, _ := portald("-h")
	_, serve, _ := portald("serve", "-h")
	if !strings.Contains(top, "--public-url") || !strings.Contains(serve, "-public-url") || !strings.Contains(serve, "-addr-file") ||
		!strings.Contains(top, "--trust-forwarded-for") || !strings.Contains(serve, "-public-rate-limit") {
		t.Fatalf("the usage does not name every serve flag:\n%s\n%s", top, serve)
	}
}

func TestDatabaseErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	notADB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("not a database ", 20)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{filepath.Join(dir, "missing", "p.db"), notADB} {
		code, _, stderr := portald("bootstrap", "--db", db, "--operator")
		if code != 1 || !strings.Contains(stderr, db) {
			t.Fatalf("bootstrap --db %s: exit %d, stderr %q; want 1 and the path", db, code, stderr)
		}
	}
}

// PORTALD_DB names the database when --db is not given, so that a
// PostgreSQL password stays off the command line; the log never shows it.
func TestDatabaseFromTheEnvironmentAndNoPasswordInTheLog(t *testing.T) {
	bin := buildPortald(t)
	db := portaltest.Database(t)
	const password = "s3cret-pw"
	if u, err := url.Parse(db); err == nil && u.Scheme == "postgres" {
		u.User = url.UserPassword(u.User.Username(), password) // the test server trusts loopback: any password passes
		db = u.String()
	}
	env := append(os.Environ(), "PORTALD_DB="+db)
	boot := exec.Command(bin, "bootstrap", "--operator")
	boot.Env = env
	if out, err := boot.Output(); err != nil || !strings.Contains(string(out), `"operator":true`) {
		t.Fatalf("bootstrap with PORTALD_DB: %v %s", err, out)
	}
	addr := freeAddr(t)
	serve := exec.Command(bin, "serve", "--addr", addr)
	serve.Env = env
	var logs syncBuffer
	serve.Stderr = &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	for i := 0; !strings.Contains(logs.String(), "portald listening"); i++ {
		if i > 400 {
			t.Fatalf("portald did not start:\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond) // polling a starting process
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	if strings.Contains(logs.String(), password) {
		t.Fatalf("the log shows the database password:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
