package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// requests counts what portald served on a route, from its /metrics.
func requests(t *testing.T, env *portaltest.Env, route string) int {
	t.Helper()
	body := string(env.Do(t, "", http.MethodGet, "/metrics", nil).Body)
	re := regexp.MustCompile(`portald_http_requests_total\{route="` + regexp.QuoteMeta(route) + `",status="\d+"\} (\d+)`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

func TestUserIndexOneListingPerRunAndItsOwnWritesWin(t *testing.T) {
	env := portaltest.Start(t, portaltest.Options{})
	c, err := client.New(client.Config{Endpoint: env.URL, Token: env.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for i := range 30 {
		u, err := c.Users.Create(ctx, env.PartnerID, api.UserCreate{Email: fmt.Sprintf("u%02d@acme.test", i), Roles: []string{"member"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	const list, get = "GET /v1/partners/{partner_id}/users", "GET /v1/partners/{partner_id}/users/{user_id}"
	lists0, gets0 := requests(t, env, list), requests(t, env, get)

	x := newUserIndex(nil)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for _, id := range ids { // 30 concurrent refreshes, as terraform's parallel walk makes them
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := x.get(ctx, c, env.PartnerID, id)
			if err == nil && u.ID != id {
				err = fmt.Errorf("asked for %s, got %s", id, u.ID)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := requests(t, env, list) - lists0; n != 1 {
		t.Fatalf("30 concurrent reads made %d listings, want 1", n)
	}
	if n := requests(t, env, get) - gets0; n != 0 {
		t.Fatalf("30 reads of listed users made %d single GETs, want 0", n)
	}

	// The run's own write is what later reads see, not the listing.
	u, err := c.Users.Update(ctx, env.PartnerID, ids[0], api.UserUpdate{Roles: &[]string{"manager"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	x.wrote(u)
	if got, _ := x.get(ctx, c, env.PartnerID, ids[0]); got.Roles[0] != "manager" {
		t.Fatalf("after the run's own write the index answers roles %v", got.Roles)
	}
	// A change the listing cannot tell, and a user it never saw: single GETs.
	if _, err := c.Grants.Grant(ctx, env.PartnerID, ids[1], "read_only"); err != nil {
		t.Fatal(err)
	}
	x.changed(env.PartnerID, ids[1])
	late, err := c.Users.Create(ctx, env.PartnerID, api.UserCreate{Email: "late@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	gets0 = requests(t, env, get)
	if got, _ := x.get(ctx, c, env.PartnerID, ids[1]); len(got.Roles) != 2 {
		t.Fatalf("a user changed by the run is answered from the stale listing: %v", got.Roles)
	}
	if got, err := x.get(ctx, c, env.PartnerID, late.ID); err != nil || got.ID != late.ID {
		t.Fatalf("a user the listing did not return: %v, %v", got, err)
	}
	if n := requests(t, env, get) - gets0; n != 2 {
		t.Fatalf("%d single GETs, want 2 (the changed user and the one not listed)", n)
	}
}
