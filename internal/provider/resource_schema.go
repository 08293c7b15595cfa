package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Attributes that the schemas of several resources share.

// partnerDefault is how every partner_id that may be left out is filled in.
const partnerDefault = "Defaults to the provider's `partner_id`, then to the partner of the API token."

// partnerIDArgument is a resource's partner_id: the partner the object is in
// (whose, such as "the role belongs to"), which ModifyPlan defaults as every
// partner_id is defaulted; a new partner replaces the object (what).
func partnerIDArgument(whose, what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		Computed: true,
		Description: "The partner " + whose + ". " + partnerDefault + " " +
			"Changing it replaces the " + what + ".",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace(), stringplanmodifier.UseStateForUnknown()},
	}
}

// setOnCreate is a computed string that the portal sets when the object is
// created and that never changes after: a plan keeps the value in state.
func setOnCreate(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:      true,
		Description:   description,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// computedByPortal is a computed string that the portal may change after
// create (a status, a time of last use): a plan of an update leaves it unknown.
func computedByPortal(description string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, Description: description}
}

// leftWhenUnset is an optional string that stays as the portal has it while
// the configuration does not set it.
func leftWhenUnset(description string, valid ...validator.String) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:      true,
		Computed:      true,
		Description:   description,
		Validators:    valid,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}
