package provider

import (
	"os"
	"runtime/debug"
	"strings"
)

// ProcessDefaults sets what a provider process runs with unless the user
// says otherwise: the plugin SDK's own logging off when no TF_LOG* is set,
// and the garbage collector's pace (see quietUnlessLogging and tuneGC). The
// provider's main calls it, and so does the benchmark's stack floor, so the
// two are measured with the same settings.
func ProcessDefaults() {
	quietUnlessLogging(os.Environ(), os.Setenv)
	tuneGC(os.Getenv)
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
