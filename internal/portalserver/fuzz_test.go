package portalserver_test

import (
	"net/http"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// FuzzRequestDecoding sends arbitrary bodies to the routes that decode one:
// the server never answers 500, and whatever it refuses writes nothing.
func FuzzRequestDecoding(f *testing.F) {
	f.Add(0, []byte(`{"email":"a@acme.test","roles":["member"]}`))
	f.Add(1, []byte(`{"roles":["member","admin"]}`))
	f.Add(2, []byte(`{"email":"x@acme.test","lifetime_seconds":-1}`))
	f.Add(3, []byte(`{"key":"k","name":"n","rank":10,"permissions":["users.manage"]}`))
	f.Add(0, []byte(`{"email":"a@acme.test","unknown":1}`))
	f.Add(0, []byte(`{"email":"a@acme.test"}{"email":"b@acme.test"}`))
	f.Add(1, []byte(`{"access_expires_at":"not a time"}`))
	f.Add(4, []byte(`{"invites":[{"email":"a@acme.test"},{"email":"A@acme.test"}]}`))
	f.Add(0, []byte("\x00\xff"))
	f.Add(0, []byte(`{"email":"a@acme.test","phone":"+1"}`))

	env := portaltest.Start(f, portaltest.Options{NoConformance: true})
	var owner api.UserList
	res := env.Do(f, env.OwnerToken, http.MethodGet, "/v1/partners/"+env.PartnerID+"/users", nil)
	res.Decode(f, &owner)
	ownerID := owner.Users[0].ID
	routes := []struct{ method, path string }{
		{http.MethodPost, "/v1/partners/" + env.PartnerID + "/users"},
		{http.MethodPatch, "/v1/partners/" + env.PartnerID + "/users/" + ownerID},
		{http.MethodPost, "/v1/partners/" + env.PartnerID + "/invites"},
		{http.MethodPost, "/v1/partners/" + env.PartnerID + "/roles"},
		{http.MethodPost, "/v1/partners/" + env.PartnerID + "/invites/batch"},
	}
	f.Fuzz(func(t *testing.T, route int, body []byte) {
		if route < 0 {
			route = -route
		}
		r := routes[route%len(routes)]
		res := env.Do(t, env.OwnerToken, r.method, r.path, body)
		if res.Status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", r.method, r.path, body, res.Status, res.Body)
		}
		if res.Status >= 400 {
			p := res.Problem(t)
			if p.Code == "" || p.RequestID == "" {
				t.Fatalf("a refusal without a problem code or request id: %s", res.Body)
			}
		}
	})
}
