// Command bench measures the provider against Terraform's own floor.
//
// For each size N it runs the real terraform binary against a fresh portald
// and times four steps: an apply that creates N portal_partner_user
// resources, a no-op plan, a plan after 1% of the users had a role granted
// by hand, and the apply of that change. It runs the same steps with N
// terraform_data resources (the floor: Terraform's own cost, no provider,
// no network) and with a provider that does no work (the stack floor), and
// reports wall time, the provider's peak memory, the HTTP requests portald
// counted, and the ratio to the floor. The same four steps run with one
// portal_partner_roster holding all N people (-roster-sizes). Optional runs
// apply users, and a roster, against a rate-limited portald.
//
//	make build && go run ./internal/bench [-sizes 100,1000,5000] [-roster-sizes 100,1000,5000,20000]
//	    [-out internal/bench/results] [-rate-limited 1000] [-rate-limited-roster 5000] [-parallelism 10]
//	    [-timeout 75m] [-benchmarks-md BENCHMARKS.md] [-for-each map]
//
// It writes results.json, results.md and chart.svg into OUT/<UTC timestamp>/
// and the latest results into BENCHMARKS.md. It measures; it asserts
// nothing, and exits non-zero only when a step could not be run as planned
// (after writing what it measured until then, marked incomplete).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	sizes        []int
	rosterSizes  []int
	out          string
	rateLimitedN int
	// rateLimitedRosterN is the roster's rate-limited apply; 0 skips it.
	rateLimitedRosterN int
	parallelism        int
	timeout            time.Duration
	benchmarksMD       string
	forEach            string // forEachMap or forEachSet
	repo               string // repository root: bin/ and the default paths hang off it
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	defer cancel()
	// SIGINT and SIGTERM cancel the context, so every deferred cleanup runs
	// (portald stopped, temporary folders removed).
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, err := newBench(ctx, opts)
	if err != nil {
		return err
	}
	// A run cut short (a step failed, the time bound) still writes what it
	// measured, marked incomplete, before reporting the failure.
	res, runErr := b.all(ctx)
	if len(res.Sizes) == 0 && res.RateLimited == nil && len(res.Roster) == 0 && res.RateLimitedRoster == nil {
		return runErr
	}
	dir, err := writeResults(res, opts)
	if err != nil {
		return errors.Join(runErr, err)
	}
	logf("results in %s", dir)
	return runErr
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("sizes", "100,1000,5000", "comma-separated numbers of portal_partner_user (and terraform_data, stack floor) resources to measure; empty for none")
	rosterSizes := fs.String("roster-sizes", "100,1000,5000,20000", "comma-separated numbers of people in one portal_partner_roster to measure; empty for none")
	fs.StringVar(&o.out, "out", "internal/bench/results", "folder that receives one <UTC timestamp>/ folder per run")
	fs.IntVar(&o.rateLimitedN, "rate-limited", 1000, "users applied against portald limited to 20 requests per second; 0 skips that run")
	fs.IntVar(&o.rateLimitedRosterN, "rate-limited-roster", 5000, "people of one roster applied against portald limited to 20 requests per second; 0 skips that run")
	fs.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	fs.DurationVar(&o.timeout, "timeout", 75*time.Minute, "bound on the whole run")
	fs.StringVar(&o.benchmarksMD, "benchmarks-md", "BENCHMARKS.md", "file that shows the latest results (relative to the repository root); empty skips it")
	fs.StringVar(&o.forEach, "for-each", forEachMap, "shape of for_each in the per-user configurations: map (email => email) or set (toset of the emails, far slower in Terraform itself)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.forEach != forEachMap && o.forEach != forEachSet {
		return o, fmt.Errorf("-for-each: %q is neither %s nor %s", o.forEach, forEachMap, forEachSet)
	}
	var err error
	if o.sizes, err = parseSizes("-sizes", *sizes); err != nil {
		return o, err
	}
	if o.rosterSizes, err = parseSizes("-roster-sizes", *rosterSizes); err != nil {
		return o, err
	}
	if o.parallelism < 1 || o.rateLimitedN < 0 || o.rateLimitedRosterN < 0 || o.timeout <= 0 {
		return o, errors.New("-parallelism and -timeout must be positive, -rate-limited and -rate-limited-roster not negative")
	}
	root, err := repoRoot()
	if err != nil {
		return o, err
	}
	o.repo = root
	if !filepath.IsAbs(o.out) {
		o.out = filepath.Join(root, o.out)
	}
	if o.benchmarksMD != "" && !filepath.IsAbs(o.benchmarksMD) {
		o.benchmarksMD = filepath.Join(root, o.benchmarksMD)
	}
	return o, nil
}

// parseSizes parses a comma-separated list of positive numbers; an empty
// list is none.
func parseSizes(flagName, list string) ([]int, error) {
	var out []int
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive number", flagName, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// repoRoot is the nearest folder at or above the working directory that
// holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the repository: no go.mod found above the working directory")
		}
		dir = parent
	}
}

// logf prints progress to stderr with the time of day.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
