package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Only a new value in resend_triggers resends: emptying it or removing it
// is an in-place update of Terraform's record that sends nothing.
func TestAccInvite_removingResendTriggersDoesNotResend(t *testing.T) {
	a := newAcc(t)
	const email = "triggers@acme.test"
	step := func(triggers string, sends int) resource.TestStep {
		return resource.TestStep{
			Config: a.provider("") + inviteConfig(fmt.Sprintf(`
  email = %q
  roles = ["member"]
%s`, email, triggers)),
			ConfigStateChecks: []statecheck.StateCheck{inviteValue("send_count", knownvalue.Int64Exact(int64(sends)))},
			Check: func(*terraform.State) error {
				out, err := a.client.Dev.Outbox(context.Background(), email)
				if err != nil || len(out.Messages) != sends {
					return fmt.Errorf("%d mails to %s, want %d (%w)", len(out.Messages), email, sends, err)
				}
				return nil
			},
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			step(`  resend_triggers = { reminder = "1", batch = "a" }`, 1),
			step(`  resend_triggers = { reminder = "1" }`, 1), // a key removed
			step(`  resend_triggers = {}`, 1),
			step(``, 1), // the attribute removed
			step(`  resend_triggers = { reminder = "1" }`, 2),
			step(`  resend_triggers = { reminder = "2" }`, 3),
		},
	})
}

func TestResendTriggered(t *testing.T) {
	m := func(kv ...[2]string) types.Map {
		elems := map[string]attr.Value{}
		for _, e := range kv {
			elems[e[0]] = types.StringValue(e[1])
		}
		return types.MapValueMust(types.StringType, elems)
	}
	r1, r2, s1 := [2]string{"r", "1"}, [2]string{"r", "2"}, [2]string{"s", "1"}
	null := types.MapNull(types.StringType)
	for _, c := range []struct {
		name        string
		plan, state types.Map
		want        bool
	}{
		{"unchanged", m(r1), m(r1), false},
		{"value changed", m(r2), m(r1), true},
		{"key added", m(r1, s1), m(r1), true},
		{"key removed", m(r1), m(r1, s1), false},
		{"emptied", m(), m(r1), false},
		{"removed", null, m(r1), false},
		{"first set", m(r1), null, true},
		{"unknown", types.MapUnknown(types.StringType), m(r1), true},
		{"unknown value", types.MapValueMust(types.StringType, map[string]attr.Value{"r": types.StringUnknown()}), m(r1), true},
	} {
		if got := resendTriggered(c.plan, c.state); got != c.want {
			t.Errorf("%s: resendTriggered = %v, want %v", c.name, got, c.want)
		}
	}
}
