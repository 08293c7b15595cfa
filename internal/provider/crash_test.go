package provider

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// TestAccCrash_portaldKilledMidApply kills portald with SIGKILL while an
// apply of 150 users is running and starts it again on the same address.
// Retries with the same Idempotency-Key carry the apply over the restart;
// whatever the first apply's outcome, a second apply converges, the next
// plan is empty, nobody exists twice, and SQLite's integrity check passes.
func TestAccCrash_portaldKilledMidApply(t *testing.T) {
	w := startProcessWorld(t)
	pd := w.portald
	tf := w.tfDir(t, `
provider "portal" {
  max_retries = 10
}
resource "portal_partner_user" "crash" {
  count = 150
  email = format("person%03d@crash.test", count.index)
  roles = ["member"]
}
`)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	apply, out := tf.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; created201(pd.addr) < 40; i++ {
		if i > 2000 {
			t.Fatalf("the apply did not get going:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond) // watching another process's progress
	}
	pd.kill(t)
	pd.start(t) // same file, same address
	firstErr := apply.Wait()
	t.Logf("first apply, with portald killed after 40+ creates and restarted: err=%v", firstErr)

	if code, output := tf.run(t, "apply", "-auto-approve", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("the second apply did not converge (exit %d):\n%s\nfirst apply:\n%s", code, output, out)
	}
	if code, output := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("the plan after converging is not empty (exit %d):\n%s", code, output)
	}

	users, err := w.client(t).Users.ListAll(context.Background(), w.boot.PartnerID, api.UserListOptions{EmailDomain: "crash.test", IncludeDeleted: true})
	if err != nil || len(users) != 150 {
		t.Fatalf("%d users @crash.test after convergence (%v), want 150", len(users), err)
	}
	var integrity string
	sqlDB, err := sql.Open("sqlite", "file:"+pd.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := sqlDB.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check = %q (%v)", integrity, err)
	}
}

// TestAccSecurity_tokenNeverInLogsOrState runs apply and plan with
// TF_LOG=TRACE and checks that the API token appears in neither terraform's
// log (which holds the provider's log too) nor the state file.
func TestAccSecurity_tokenNeverInLogsOrState(t *testing.T) {
	w := startProcessWorld(t)
	logFile := filepath.Join(w.dir, "trace.log")
	tf := w.tfDir(t, userConfig(`
  email = "secret-keeper@acme.test"
  roles = ["member"]`), "TF_LOG=TRACE", "TF_LOG_PATH="+logFile)
	for _, args := range [][]string{{"apply", "-auto-approve", "-input=false"}, {"plan", "-input=false"}} {
		if code, out := tf.run(t, args...); code != 0 {
			t.Fatalf("terraform %v: exit %d\n%s", args, code, out)
		}
	}
	logs, err := os.ReadFile(logFile)
	if err != nil || !bytes.Contains(logs, []byte("portal API request")) {
		t.Fatalf("the TRACE log does not hold the provider's request log (%v); the check below would prove nothing", err)
	}
	state, err := os.ReadFile(filepath.Join(tf.dir, "terraform.tfstate"))
	if err != nil || !json.Valid(state) {
		t.Fatalf("state: %v", err)
	}
	secret := strings.TrimPrefix(w.boot.Token, "ptk_")
	for name, b := range map[string][]byte{"TRACE log": logs, "state": state} {
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("the API token appears in the %s", name)
		}
	}
}
