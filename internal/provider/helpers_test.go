package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// protoV6 serves this provider in-process to the real terraform binary.
var protoV6 = map[string]func() (tfprotov6.ProviderServer, error){
	"portal": func() (tfprotov6.ProviderServer, error) { return NewServer("test")(), nil },
}

// acc is one acceptance test's world: a real portald (its handler on a
// loopback listener, a fresh SQLite file, every exchange checked against
// the OpenAPI contract) and a client for changes made "by hand".
type acc struct {
	*portaltest.Env
	t      *testing.T
	client *client.Client // acts as the partner's owner
}

// newAcc starts the test's portald. Acceptance tests run only with
// TF_ACC=1, as `make test` sets it: without it they are skipped, as
// terraform-plugin-testing's resource.Test skips them, so that a plain
// `go test ./...` is the fast loop of the unit tests. With TF_ACC set, a
// missing terraform binary fails the test rather than passing it unseen.
func newAcc(t *testing.T) *acc {
	t.Helper()
	requireAcc(t)
	env := portaltest.Start(t, portaltest.Options{})
	c, err := client.New(client.Config{Endpoint: env.URL, Token: env.OwnerToken})
	if err != nil {
		t.Fatal(err)
	}
	return &acc{Env: env, t: t, client: c}
}

// provider is the provider block acting with token (the owner's when "").
func (a *acc) provider(token string) string {
	if token == "" {
		token = a.OwnerToken
	}
	return fmt.Sprintf(`
provider "portal" {
  endpoint   = %[1]q
  api_token  = %[2]q
  partner_id = %[3]q
}
`, a.URL, token, a.PartnerID)
}

// user creates a user outside Terraform, as someone would in the portal.
func (a *acc) user(email string, roles ...string) *api.User {
	a.t.Helper()
	return a.createUser(api.UserCreate{Email: email, Roles: roles})
}

// removedUser creates a user outside Terraform and removes it (a soft
// delete), as someone would in the portal.
func (a *acc) removedUser(email string, roles ...string) *api.User {
	a.t.Helper()
	u := a.user(email, roles...)
	if err := a.client.Users.Delete(context.Background(), a.PartnerID, u.ID, 0); err != nil {
		a.t.Fatalf("remove %s by hand: %v", email, err)
	}
	return u
}

// createUser is user with more than an email and roles.
func (a *acc) createUser(c api.UserCreate) *api.User {
	a.t.Helper()
	u, err := a.client.Users.Create(context.Background(), a.PartnerID, c)
	if err != nil {
		a.t.Fatalf("create %s by hand: %v", c.Email, err)
	}
	return u
}

// role creates a custom role outside Terraform.
func (a *acc) role(c api.RoleCreate) {
	a.t.Helper()
	if _, err := a.client.Roles.Create(context.Background(), a.PartnerID, c); err != nil {
		a.t.Fatalf("create role %s by hand: %v", c.Key, err)
	}
}

// tokenWithRole makes a user with one role and returns an API token of theirs.
func (a *acc) tokenWithRole(email, role string) string {
	a.t.Helper()
	u := a.user(email, role)
	tok, err := a.client.Tokens.Create(context.Background(), a.PartnerID, api.TokenCreate{UserID: u.ID, Name: "acc"})
	if err != nil {
		a.t.Fatalf("token for %s: %v", email, err)
	}
	return tok.Token
}

// updatePartner changes the partner's name or settings outside Terraform, as
// its owner would in the portal.
func (a *acc) updatePartner(u api.PartnerUpdate) {
	a.t.Helper()
	ctx := context.Background()
	p, err := a.client.Partners.Get(ctx, a.PartnerID)
	if err == nil {
		_, err = a.client.Partners.Update(ctx, a.PartnerID, u, p.Version)
	}
	if err != nil {
		a.t.Fatalf("update partner %s: %v", a.PartnerID, err)
	}
}

// serverUser reads a user from the portal, failing the test on error.
func (a *acc) serverUser(id string) *api.User {
	a.t.Helper()
	u, err := a.client.Users.Get(context.Background(), a.PartnerID, id)
	if err != nil {
		a.t.Fatalf("read user %s: %v", id, err)
	}
	return u
}

// userByEmail finds a live user by email, or nil.
func (a *acc) userByEmail(email string) *api.User {
	a.t.Helper()
	list, err := a.client.Users.List(context.Background(), a.PartnerID, api.UserListOptions{Email: email})
	if err != nil {
		a.t.Fatalf("list users: %v", err)
	}
	if len(list.Users) == 0 {
		return nil
	}
	return &list.Users[0]
}

// checkUsersRemoved is a CheckDestroy: every portal_partner_user that was in
// state is removed (soft-deleted) on the server.
func (a *acc) checkUsersRemoved(s *terraform.State) error {
	for _, rs := range s.RootModule().Resources {
		if rs.Type != "portal_partner_user" {
			continue
		}
		u, err := a.client.Users.Get(context.Background(), rs.Primary.Attributes["partner_id"], rs.Primary.ID)
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if u.Status != api.UserDeleted {
			return fmt.Errorf("user %s (%s) still has access after destroy: status %s", u.ID, u.Email, u.Status)
		}
	}
	return nil
}

// requireAcc skips t unless TF_ACC is set, and fails it when TF_ACC is set
// but the terraform binary (terraformPath) is missing.
func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (`make test` and `make testacc` do)")
	}
	if _, err := exec.LookPath(terraformPath()); err != nil {
		t.Fatalf("TF_ACC is set but the terraform binary %q is not found: acceptance tests need it (%v)", terraformPath(), err)
	}
}

// phoneOf is a user's phone as the portal has it, "" for none.
func phoneOf(u *api.User) string {
	if u.Phone == nil {
		return ""
	}
	return *u.Phone
}

func ptr[T any](v T) *T { return &v }

// skipOnOpenTofu skips t when terraformPath is OpenTofu, which lacks
// what t tests for the reason given (why).
func skipOnOpenTofu(t *testing.T, why string) {
	t.Helper()
	if strings.HasPrefix(cliName(t, terraformPath()), "OpenTofu") {
		t.Skip("OpenTofu: " + why)
	}
}
