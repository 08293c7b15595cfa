package provider

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// TestAccReplicas_roundRobinOverThreeOneKilled applies 300 users through a
// round-robin balancer over three portald on one database and kills one of
// them with SIGKILL once a third of the users exist. The balancer passes
// over the dead replica; a request it held when it died answers 502 and the
// provider's retry, with the same Idempotency-Key, lands on another replica,
// which replays the answer or makes the user. The apply succeeds, the next
// plan is empty, and the portal holds the 300 users, each once.
//
// The database is PostgreSQL when PORTAL_TEST_POSTGRES is set (as .ci/run
// sets it), else one SQLite file that the three processes share.
func TestAccReplicas_roundRobinOverThreeOneKilled(t *testing.T) {
	requireAcc(t)
	const people = 300
	providerDir, bin := binaries(t)
	db := filepath.Join(t.TempDir(), "portal.db")
	if os.Getenv(portaltest.PostgresEnv) != "" {
		db = portaltest.PostgresDatabase(t)
	}
	boot := bootstrapFile(t, db)
	replicas := make([]*portaldProcess, 3)
	urls := make([]string, len(replicas))
	for i := range replicas {
		replicas[i] = &portaldProcess{bin: bin, db: db, dir: t.TempDir()}
		replicas[i].start(t)
		urls[i] = "http://" + replicas[i].addr
	}
	lb := portaltest.StartRoundRobin(t, urls...)
	tf := newTFDir(t, providerDir, `
provider "portal" {
  max_retries = 10
}
resource "portal_partner_user" "team" {
  count = 300
  email = format("person%03d@replicas.test", count.index)
  roles = ["member"]
}
`, "PORTAL_ENDPOINT="+lb.URL, "PORTAL_API_TOKEN="+boot.Token, "PORTAL_PARTNER_ID="+boot.PartnerID)

	created := func() int {
		n := 0
		for _, r := range replicas {
			n += created201(r.addr)
		}
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	apply, out := tf.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; created() < people/3; i++ {
		if i > 12000 {
			t.Fatalf("the apply did not get going:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond) // watching other processes' progress
	}
	killed := replicas[1]
	byKilled := created201(killed.addr)
	killed.kill(t)
	atKill, _ := lb.Served()
	if err := apply.Wait(); err != nil {
		t.Fatalf("the apply with one of three replicas killed failed (%v):\n%s", err, out)
	}
	served, failed := lb.Served()
	t.Logf("answers per replica %v (replica 1 killed after %d creates, at %v), 502s %d", served, byKilled, atKill, failed)
	if byKilled == 0 || served[1] != atKill[1] {
		t.Fatalf("replica 1 created %d users and answered %d requests after its kill: want some before and none after", byKilled, served[1]-atKill[1])
	}
	if served[0] == atKill[0] || served[2] == atKill[2] {
		t.Fatalf("answers per replica %v after the kill, %v at it: the other two replicas served nothing after", served, atKill)
	}

	if code, output := tf.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("the plan after the apply is not empty (exit %d):\n%s", code, output)
	}
	c, err := client.New(client.Config{Endpoint: lb.URL, Token: boot.Token})
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.Users.ListAll(context.Background(), boot.PartnerID, api.UserListOptions{EmailDomain: "replicas.test", IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.Email] {
			t.Fatalf("%s exists twice", u.Email)
		}
		seen[u.Email] = true
	}
	if len(users) != people {
		t.Fatalf("%d users @replicas.test, want %d", len(users), people)
	}
}
