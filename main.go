// Command terraform-provider-portal is the Terraform provider for partner
// portals that speak Portal API v1.
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/partnerportal/terraform-provider-portal/internal/provider"
)

// version is set by the release build (goreleaser's ldflags).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	provider.ProcessDefaults()
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// tf6server.Serve is what providerserver.Serve calls; served here
	// directly so the server is provider.NewServer's (see there why). The
	// address is the plain source, which -debug prints as the key of
	// TF_REATTACH_PROVIDERS: Terraform reads it as
	// registry.terraform.io/partnerportal/portal and OpenTofu as
	// registry.opentofu.org/partnerportal/portal, so the line works on both.
	err := tf6server.Serve("partnerportal/portal", provider.NewServer(version), opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}
