package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// userDataConfig is a portal_partner_user data source named "test" with the given body.
func userDataConfig(body string) string {
	return fmt.Sprintf("\ndata \"portal_partner_user\" \"test\" {\n%s\n}\n", body)
}

func TestAccDataSourcePartnerUser_byIDAndByEmail(t *testing.T) {
	a := newAcc(t)
	ana := a.createUser(api.UserCreate{
		Email: "Ana@Acme.test", FirstName: "Ana", LastName: "Silva", Phone: "+351912345678", Roles: []string{"member", "read_only"},
	})
	a.user("bo@acme.test", "member") // another user, not to be found instead
	want := func(addr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			dataValue(addr, "id", knownvalue.StringExact(ana.ID)),
			dataValue(addr, "partner_id", knownvalue.StringExact(a.PartnerID)),
			dataValue(addr, "email", knownvalue.StringExact("Ana@Acme.test")),
			dataValue(addr, "first_name", knownvalue.StringExact("Ana")),
			dataValue(addr, "last_name", knownvalue.StringExact("Silva")),
			dataValue(addr, "phone", knownvalue.StringExact("+351912345678")),
			dataValue(addr, "roles", stringSetOf("member", "read_only")),
			dataValue(addr, "status", knownvalue.StringExact(api.UserInvited)),
			dataValue(addr, "access_expires_at", knownvalue.Null()),
			dataValue(addr, "created_at", knownvalue.NotNull()),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:            a.provider("") + userDataConfig(fmt.Sprintf("  id = %q", ana.ID)),
				ConfigStateChecks: want("portal_partner_user.test"),
			},
			{
				// By email in another case, with the partner named.
				Config:            a.provider("") + userDataConfig(fmt.Sprintf("  email      = \"ana@ACME.test\"\n  partner_id = %q", a.PartnerID)),
				ConfigStateChecks: want("portal_partner_user.test"),
			},
		},
	})
}

func TestAccDataSourcePartnerUser_errors(t *testing.T) {
	a := newAcc(t)
	gone := a.user("gone@acme.test", "member")
	if err := a.client.Users.Delete(context.Background(), a.PartnerID, gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:      a.provider("") + userDataConfig(`  email = "nobody@acme.test"`),
				ExpectError: regexp.MustCompile(`(?s)Partner user not found.*has the email nobody@acme\.test`),
			},
			{
				Config:      a.provider("") + userDataConfig(`  email = "gone@acme.test"`),
				ExpectError: regexp.MustCompile(`Partner user not found`),
			},
			{
				Config:      a.provider("") + userDataConfig(fmt.Sprintf("  id = %q", gone.ID)),
				ExpectError: regexp.MustCompile(`(?s)Partner user not found.*removed`),
			},
			{
				Config:      a.provider("") + userDataConfig(fmt.Sprintf("  id    = %q\n  email = \"gone@acme.test\"", gone.ID)),
				ExpectError: regexp.MustCompile(`Exactly one of these attributes must be configured`),
			},
			{
				Config:      a.provider("") + userDataConfig(""),
				ExpectError: regexp.MustCompile(`Exactly one of these attributes must be configured`),
			},
			{
				Config:      a.provider("") + userDataConfig(`  email = "not an email"`),
				ExpectError: regexp.MustCompile(`not a valid email address`),
			},
		},
	})
}
