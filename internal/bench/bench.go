package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// rateLimit is the requests per second per token of the rate-limited run.
const rateLimit = 20

// Results is everything one run measured; it is written as results.json.
type Results struct {
	StartedAt   time.Time          `json:"started_at"`
	FinishedAt  time.Time          `json:"finished_at"`
	Machine     Machine            `json:"machine"`
	Parallelism int                `json:"parallelism"`
	Sizes       []SizeResult       `json:"sizes"`
	ForEach     string             `json:"for_each"`
	RateLimited *RateLimitedResult `json:"rate_limited,omitempty"`
	// Roster is portal_partner_roster at each of -roster-sizes: one
	// resource holding all N people.
	Roster []RosterResult `json:"roster,omitempty"`
	// RateLimitedRoster is a roster's apply against a rate-limited portald.
	RateLimitedRoster *RateLimitedResult `json:"rate_limited_roster,omitempty"`
	Targets           []Target           `json:"targets"`
	// Incomplete is why the run stopped early; empty for a whole run.
	Incomplete string `json:"incomplete,omitempty"`
}

// SizeResult holds the four steps at one N, for the provider, the floor
// and the stack floor.
type SizeResult struct {
	N int `json:"n"`
	// Changed is how many users got a role by hand (ours), how many
	// terraform_data inputs were edited (floor) and how many users' roles
	// were edited in the configuration (stack floor) before the drift plan.
	Changed int          `json:"changed"`
	Ours    []StepResult `json:"ours"`
	Floor   []StepResult `json:"floor"`
	// StackFloor is portal_partner_user served by a provider on the same
	// plugin stack that does no work (internal/bench/stackfloor).
	StackFloor []StepResult `json:"stack_floor,omitempty"`
}

// RosterResult holds the four steps at one N for one portal_partner_roster
// of N people.
type RosterResult struct {
	N int `json:"n"`
	// Changed is how many people got a role by hand before the drift plan.
	Changed int          `json:"changed"`
	Steps   []StepResult `json:"steps"`
}

// RateLimitedResult is the apply against a rate-limited portald.
type RateLimitedResult struct {
	// Kind is what was applied: kindOurs (N portal_partner_user) or
	// kindRoster (one roster of N people).
	Kind            string  `json:"kind,omitempty"`
	N               int     `json:"n"`
	RateLimit       float64 `json:"rate_limit_per_second"`
	Seconds         float64 `json:"seconds"`
	Succeeded       bool    `json:"succeeded"`
	ExitCode        int     `json:"exit_code"`
	HTTPRequests    int64   `json:"http_requests"`
	TooManyRequests int64   `json:"http_429_answers"`
	ProviderPeakMB  float64 `json:"provider_peak_mb,omitempty"`
	Error           string  `json:"error,omitempty"`
}

// bench runs the measurements.
type bench struct {
	opts options
	bin  string // the repository's bin/, where make build puts both binaries
	// stackFloorBin is the folder of the stack floor's provider binary,
	// built by newBench.
	stackFloorBin string
	terraform     string
	machine       Machine
}

func newBench(ctx context.Context, opts options) (*bench, error) {
	bin := filepath.Join(opts.repo, "bin")
	for _, f := range []string{providerBinary, "portald"} {
		if _, err := os.Stat(filepath.Join(bin, f)); err != nil {
			return nil, fmt.Errorf("%s is missing: run make build first (%w)", filepath.Join(bin, f), err)
		}
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		return nil, fmt.Errorf("terraform is not on PATH: %w", err)
	}
	b := &bench{opts: opts, bin: bin, stackFloorBin: filepath.Join(bin, "stackfloor"), terraform: tf, machine: readMachine(ctx, tf)}
	return b, b.buildStackFloor(ctx)
}

// buildStackFloor builds internal/bench/stackfloor into bin/stackfloor under
// the provider's binary name, from the same source tree as the provider.
func (b *bench) buildStackFloor(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(b.stackFloorBin, providerBinary), "./internal/bench/stackfloor")
	cmd.Dir = b.opts.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the stack floor provider: %w\n%s", err, out)
	}
	return nil
}

// all measures every size, then the rate-limited run. On an error it
// returns what was measured until then, marked incomplete, with the error.
func (b *bench) all(ctx context.Context) (*Results, error) {
	res := &Results{StartedAt: time.Now().UTC(), Machine: b.machine, Parallelism: b.opts.parallelism, ForEach: b.opts.forEach}
	err := b.measure(ctx, res)
	if err != nil {
		res.Incomplete = err.Error()
	}
	res.FinishedAt = time.Now().UTC()
	res.Targets = evaluateTargets(res)
	return res, err
}

// measure fills res in: the per-user sizes, the two rate-limited runs,
// then the roster's sizes (last, since the largest roster takes longest and
// a time bound reached there loses the least); a size cut short is kept
// with the steps it finished.
func (b *bench) measure(ctx context.Context, res *Results) error {
	for _, n := range b.opts.sizes {
		sr, err := b.size(ctx, n)
		if len(sr.Ours)+len(sr.Floor) > 0 {
			res.Sizes = append(res.Sizes, sr)
		}
		if err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
	}
	if n := b.opts.rateLimitedN; n > 0 {
		rl, err := b.rateLimited(ctx, n, kindOurs)
		if err != nil {
			return fmt.Errorf("rate-limited run, N=%d: %w", n, err)
		}
		res.RateLimited = rl
	}
	if n := b.opts.rateLimitedRosterN; n > 0 {
		rl, err := b.rateLimited(ctx, n, kindRoster)
		if err != nil {
			return fmt.Errorf("rate-limited roster run, N=%d: %w", n, err)
		}
		res.RateLimitedRoster = rl
	}
	for _, n := range b.opts.rosterSizes {
		rr, err := b.roster(ctx, n)
		if len(rr.Steps) > 0 {
			res.Roster = append(res.Roster, rr)
		}
		if err != nil {
			return fmt.Errorf("roster at N=%d: %w", n, err)
		}
	}
	return nil
}

// roster runs the four steps with one portal_partner_roster of N people
// against a fresh portald, in a fresh temporary folder.
func (b *bench) roster(ctx context.Context, n int) (RosterResult, error) {
	rr := RosterResult{N: n, Changed: changedAt(n)}
	tmp, err := os.MkdirTemp("", fmt.Sprintf("portal-bench-roster-%d-", n))
	if err != nil {
		return rr, err
	}
	defer os.RemoveAll(tmp)
	pd, ws, err := b.oursWorkspace(ctx, tmp, n, 0, kindRoster)
	if err != nil {
		return rr, err
	}
	defer pd.stop()
	handChange := func(ctx context.Context) error {
		return pd.grantByHand(ctx, userEmails(rr.Changed), "read_only")
	}
	rr.Steps, err = ws.runAll(ctx, n, benchSteps(b.opts.parallelism, handChange))
	return rr, err
}

// size runs the four steps at N for the provider, then for the floor and
// the stack floor, each in a fresh temporary folder.
func (b *bench) size(ctx context.Context, n int) (SizeResult, error) {
	sr := SizeResult{N: n, Changed: changedAt(n)}
	tmp, err := os.MkdirTemp("", fmt.Sprintf("portal-bench-%d-", n))
	if err != nil {
		return sr, err
	}
	defer os.RemoveAll(tmp)

	if sr.Ours, err = b.ours(ctx, tmp, n, sr.Changed); err != nil {
		return sr, fmt.Errorf("portal_partner_user: %w", err)
	}
	if sr.Floor, err = b.floor(ctx, filepath.Join(tmp, "floor"), n, sr.Changed); err != nil {
		return sr, fmt.Errorf("terraform_data: %w", err)
	}
	if sr.StackFloor, err = b.stackFloor(ctx, filepath.Join(tmp, "stackfloor"), n, sr.Changed); err != nil {
		return sr, fmt.Errorf("stack floor: %w", err)
	}
	return sr, nil
}

// ours runs the four steps with N users against a fresh portald, which is
// stopped before ours returns.
func (b *bench) ours(ctx context.Context, tmp string, n, changed int) ([]StepResult, error) {
	pd, ws, err := b.oursWorkspace(ctx, tmp, n, 0, kindOurs)
	if err != nil {
		return nil, err
	}
	defer pd.stop()
	handChange := func(ctx context.Context) error {
		return pd.grantByHand(ctx, userEmails(changed), "read_only")
	}
	return ws.runAll(ctx, n, benchSteps(b.opts.parallelism, handChange))
}

// floor runs the four steps with N terraform_data resources; the change
// before the drift plan is a configuration edit.
func (b *bench) floor(ctx context.Context, dir string, n, changed int) ([]StepResult, error) {
	ws, err := newWorkspace(dir, kindFloor, b.terraform, floorCLIConfig(), floorConfig(n, 0, b.opts.forEach), nil)
	if err != nil {
		return nil, err
	}
	edit := func(context.Context) error { return ws.writeConfig(floorConfig(n, changed, b.opts.forEach)) }
	return ws.runAll(ctx, n, benchSteps(b.opts.parallelism, edit))
}

// stackFloor runs the four steps with N portal_partner_user resources
// served by the stack floor's provider; the change before the drift plan is
// a configuration edit, as for the floor.
func (b *bench) stackFloor(ctx context.Context, dir string, n, changed int) ([]StepResult, error) {
	ws, err := newWorkspace(dir, kindStackFloor, b.terraform, devOverridesCLIConfig(b.stackFloorBin), usersConfig(n, 0, b.opts.forEach), nil)
	if err != nil {
		return nil, err
	}
	edit := func(context.Context) error { return ws.writeConfig(usersConfig(n, changed, b.opts.forEach)) }
	return ws.runAll(ctx, n, benchSteps(b.opts.parallelism, edit))
}

// oursWorkspace starts a portald (rate-limited when rps > 0) under tmp and
// prepares a workspace of N people against it: N portal_partner_user
// (kindOurs) or one roster of N (kindRoster). The caller stops portald.
func (b *bench) oursWorkspace(ctx context.Context, tmp string, n int, rps float64, kind string) (*portald, *workspace, error) {
	pd, err := startPortald(ctx, filepath.Join(b.bin, "portald"), filepath.Join(tmp, "portald"), rps)
	if err != nil {
		return nil, nil, err
	}
	mainTF := usersConfig(n, 0, b.opts.forEach)
	if kind == kindRoster {
		mainTF = rosterConfig(n)
	}
	ws, err := newWorkspace(filepath.Join(tmp, "ours"), kind, b.terraform, devOverridesCLIConfig(b.bin), mainTF, pd)
	if err != nil {
		pd.stop()
		return nil, nil, err
	}
	return pd, ws, nil
}

// rateLimited applies N people (as kind: kindOurs or kindRoster) against a
// portald limited to rateLimit requests per second per token. A failed
// apply is recorded, not fatal.
func (b *bench) rateLimited(ctx context.Context, n int, kind string) (*RateLimitedResult, error) {
	tmp, err := os.MkdirTemp("", fmt.Sprintf("portal-bench-rl-%d-", n))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	pd, ws, err := b.oursWorkspace(ctx, tmp, n, rateLimit, kind)
	if err != nil {
		return nil, err
	}
	defer pd.stop()

	logf("N=%d %s rate-limited (%d req/s): apply", n, kind, rateLimit)
	rl := &RateLimitedResult{Kind: kind, N: n, RateLimit: rateLimit}
	step, err := ws.run(ctx, benchSteps(b.opts.parallelism, nil)[0])
	var exit *unexpectedExit
	switch {
	case errors.As(err, &exit):
		rl.Error = exit.Error()
		logf("rate-limited apply failed (recorded): %v", err)
	case err != nil:
		return nil, err
	default:
		rl.Succeeded = true
		logf("N=%d %s rate-limited: apply took %.2fs", n, kind, step.Seconds)
	}
	rl.Seconds, rl.ExitCode, rl.ProviderPeakMB = step.Seconds, step.ExitCode, deref(step.ProviderPeakMB)
	counts, err := pd.requestCounts(ctx)
	if err != nil {
		return nil, err
	}
	rl.HTTPRequests, rl.TooManyRequests = counts.total, counts.tooMany
	return rl, nil
}

// changedAt is how many objects the drift step changes at N: 1%, at least one.
func changedAt(n int) int { return max(1, n/100) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
