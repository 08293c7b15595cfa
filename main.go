// Command terraform-provider-portal is the Terraform provider for partner
// portals that speak Portal API v1.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/partnerportal/terraform-provider-portal/internal/provider"
)

// version is set by the release build (goreleaser's ldflags).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/partnerportal/portal",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
