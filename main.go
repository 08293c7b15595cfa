// Command terraform-provider-portal is the Terraform provider for partner
// portals that speak Portal API v1.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/partnerportal/terraform-provider-portal/internal/provider"
)

// version is set by the release build (goreleaser's ldflags).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	quietUnlessLogging(os.Environ(), os.Setenv)
	tuneGC(os.Getenv)
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// tf6server.Serve is what providerserver.Serve calls; served here
	// directly so the server is provider.NewServer's (see there why).
	err := tf6server.Serve("registry.terraform.io/partnerportal/portal", provider.NewServer(version), opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// sdkLogLevels are the plugin SDK's own log levels (not the provider's).
var sdkLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// quietUnlessLogging turns the plugin SDK's logging off when no TF_LOG*
// variable is set. Terraform then discards everything a provider logs, yet
// the SDK still formats a TRACE line for every validator and plan modifier
// it calls: for a no-op plan of 1,000 users that was 28% of the time (7.1 s
// against 5.1 s with the SDK's logging off) and a good part of the garbage.
// Any TF_LOG* setting leaves logging exactly as the SDK has it.
func quietUnlessLogging(environ []string, setenv func(string, string) error) {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_LOG") {
			return
		}
	}
	for _, name := range sdkLogLevels {
		_ = setenv(name, "OFF")
	}
}

// tuneGC lets the heap grow to five times what is live before collecting,
// where Go's default is twice, unless GOGC or GOMEMLIMIT says otherwise.
// The provider keeps little between requests (a few MB for 1,000 users)
// but allocates a lot per request in the plugin SDK, so by default it
// collected about 270 times in one no-op plan of 1,000 users, and a fifth
// of its CPU time went to the collector: with 400, a no-op plan of 1,000
// took 3.2-3.6 s instead of 3.8-4.1 s. A soft limit of 256 MiB makes it
// collect sooner should a very large partner bring the heap near that.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(256 << 20)
}
