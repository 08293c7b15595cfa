package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
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

// startServe runs `portald serve` and waits until it answers /healthz.
func startServe(t *testing.T, bin, db, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--db", db, "--addr", addr)
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
	db := filepath.Join(t.TempDir(), "portal.db")

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

func TestUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(nil, &stdout, &stderr); err == nil || !strings.Contains(stderr.String(), "Usage") {
		t.Fatalf("no command: err %v, stderr %q", err, stderr.String())
	}
	if err := run([]string{"bootstrap", "--db", filepath.Join(t.TempDir(), "x.db")}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--owner-email") {
		t.Fatalf("bootstrap without a partner: %v", err)
	}
	if err := run([]string{"bootstrap", "--db", filepath.Join(t.TempDir(), "x.db"), "--partner", "A", "--owner-email", "nope"}, &stdout, &stderr); err == nil {
		t.Fatal("bootstrap accepted an invalid owner email")
	}
	if _, err := os.Stat("portal.db"); err == nil {
		t.Fatal("a test wrote portal.db into the source tree")
	}
}
