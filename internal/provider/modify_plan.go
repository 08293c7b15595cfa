package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// planAndState reads the models of a ModifyPlan: the plan and, unless the
// resource is being created (creating), its state.
func planAndState[M any](ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) (plan, state M, creating bool) {
	diags.Append(req.Plan.Get(ctx, &plan)...)
	creating = req.State.Raw.IsNull()
	if !creating {
		diags.Append(req.State.Get(ctx, &state)...)
	}
	return plan, state, creating
}
