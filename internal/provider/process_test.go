package provider

import (
	"runtime/debug"
	"testing"
)

func TestQuietUnlessLogging(t *testing.T) {
	cases := []struct {
		name    string
		environ []string
		quiet   bool
	}{
		{"no logging asked for", []string{"HOME=/root", "PORTAL_ENDPOINT=http://127.0.0.1:8080"}, true},
		{"TF_LOG", []string{"TF_LOG=TRACE"}, false},
		{"provider logs only", []string{"TF_LOG_PROVIDER=DEBUG"}, false},
		{"SDK level set by hand", []string{"TF_LOG_SDK_FRAMEWORK=TRACE"}, false},
		{"a log path", []string{"TF_LOG_PATH=/tmp/tf.log"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := map[string]string{}
			quietUnlessLogging(c.environ, func(k, v string) error { set[k] = v; return nil })
			if !c.quiet {
				if len(set) != 0 {
					t.Fatalf("logging was asked for, yet %v was changed", set)
				}
				return
			}
			for _, name := range sdkLogLevels {
				if set[name] != "OFF" {
					t.Fatalf("%s = %q, want OFF", name, set[name])
				}
			}
			if len(set) != len(sdkLogLevels) {
				t.Fatalf("changed %v: only the SDK's levels may change, the provider's own stays as it is", set)
			}
		})
	}
}

func TestTuneGC(t *testing.T) {
	gcPercent := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	before, beforeLimit := gcPercent(), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(before); debug.SetMemoryLimit(beforeLimit) })

	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		tuneGC(func(k string) string {
			if k == name {
				return "100"
			}
			return ""
		})
		if gcPercent() != before || debug.SetMemoryLimit(-1) != beforeLimit {
			t.Fatalf("with %s set, tuneGC changed the collector's settings", name)
		}
	}
	tuneGC(func(string) string { return "" })
	if got := gcPercent(); got != 400 {
		t.Errorf("GC percent = %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 256<<20 {
		t.Errorf("memory limit = %d, want %d", got, 256<<20)
	}
}
