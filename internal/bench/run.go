package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The steps measured at every N, by name.
const (
	stepApply      = "apply"
	stepNoop       = "noop_plan"
	stepDrift      = "drift_plan"
	stepDriftApply = "drift_apply" // the apply of the 1% change the drift plan found
)

// StepResult is one timed terraform command.
type StepResult struct {
	Step     string  `json:"step"`
	Seconds  float64 `json:"seconds"`
	ExitCode int     `json:"exit_code"`
	// HTTPRequests is how many requests portald counted during the step
	// (nil for the floor, which has no portald).
	HTTPRequests *int64 `json:"http_requests,omitempty"`
	// ProviderPeakMB is the highest VmHWM of a provider process seen during
	// the step, in MiB (nil when no provider process was seen).
	ProviderPeakMB *float64 `json:"provider_peak_mb,omitempty"`
}

// The configurations measured, as progress lines name them.
const (
	kindOurs       = "portal_partner_user"
	kindFloor      = "terraform_data"
	kindStackFloor = "stack floor"
	kindRoster     = "portal_partner_roster"
)

// stepSpec is a terraform command to time. prepare, when set, runs before
// the timed section and before the request count is taken.
type stepSpec struct {
	name     string
	args     []string
	wantExit int
	prepare  func(context.Context) error
}

// benchSteps are the four steps: apply (create all), a no-op plan that
// must find nothing to do, a plan after prepareDrift changed 1% of the
// objects, which must find the change (exit code 2 with -detailed-exitcode),
// and the apply of that change.
func benchSteps(parallelism int, prepareDrift func(context.Context) error) []stepSpec {
	common := []string{"-input=false", "-no-color", "-parallelism=" + strconv.Itoa(parallelism)}
	plan := append([]string{"plan", "-detailed-exitcode"}, common...)
	apply := append([]string{"apply", "-auto-approve"}, common...)
	return []stepSpec{
		{name: stepApply, args: apply},
		{name: stepNoop, args: plan},
		{name: stepDrift, args: plan, wantExit: 2, prepare: prepareDrift},
		{name: stepDriftApply, args: apply},
	}
}

// workspace is a folder with one Terraform configuration and the
// environment terraform runs in. Neither configuration needs terraform init
// (checked with Terraform 1.11): terraform_data comes from the builtin
// provider, and a provider under dev_overrides is used straight from its
// folder, so init would only add untimed work that changes nothing.
type workspace struct {
	kind      string // kindOurs, kindFloor or kindStackFloor, for the progress lines
	dir       string
	terraform string
	env       []string
	portald   *portald // nil for the floor
}

// newWorkspace creates dir with main.tf and a CLI config of its own; with a
// portald, terraform gets its endpoint, token and partner.
func newWorkspace(dir, kind, terraform, cliConfig, mainTF string, pd *portald) (*workspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rc := filepath.Join(dir, "cli.tfrc")
	if err := os.WriteFile(rc, []byte(cliConfig), 0o600); err != nil {
		return nil, err
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
	if pd != nil {
		env = append(env, "PORTAL_ENDPOINT="+pd.endpoint, "PORTAL_API_TOKEN="+pd.token, "PORTAL_PARTNER_ID="+pd.partnerID)
	}
	ws := &workspace{kind: kind, dir: dir, terraform: terraform, env: append(cleanEnv(), env...), portald: pd}
	return ws, ws.writeConfig(mainTF)
}

// cleanEnv is this process's environment without TF_*, PORTAL_* and
// CHECKPOINT_* variables, so that nothing of the caller's leaks into a run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "PORTAL_") && !strings.HasPrefix(kv, "CHECKPOINT_") {
			env = append(env, kv)
		}
	}
	return env
}

func (w *workspace) writeConfig(mainTF string) error {
	return os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(mainTF), 0o644)
}

// runAll runs the steps in order and stops at the first failure.
func (w *workspace) runAll(ctx context.Context, n int, steps []stepSpec) ([]StepResult, error) {
	var out []StepResult
	for _, s := range steps {
		logf("N=%d %s: %s", n, w.kind, s.name)
		r, err := w.run(ctx, s)
		if err != nil {
			return out, err
		}
		logf("N=%d %s: %s took %.2fs", n, w.kind, s.name, r.Seconds)
		out = append(out, r)
	}
	return out, nil
}

// run prepares and times one step. An exit code other than the expected
// one is an *unexpectedExit, returned with the step's figures.
func (w *workspace) run(ctx context.Context, s stepSpec) (StepResult, error) {
	r := StepResult{Step: s.name}
	if s.prepare != nil {
		if err := s.prepare(ctx); err != nil {
			return r, fmt.Errorf("preparing %s: %w", s.name, err)
		}
	}
	var before requestCounts
	if w.portald != nil {
		var err error
		if before, err = w.portald.requestCounts(ctx); err != nil {
			return r, err
		}
	}
	logPath := filepath.Join(w.dir, s.name+".log")
	start := time.Now()
	code, peakKB, err := w.terraformCmd(ctx, logPath, s.args)
	r.Seconds = time.Since(start).Seconds()
	r.ExitCode = code
	if peakKB > 0 {
		mb := float64(peakKB) / 1024
		r.ProviderPeakMB = &mb
	}
	if err != nil {
		return r, err
	}
	if w.portald != nil {
		after, err := w.portald.requestCounts(ctx)
		if err != nil {
			return r, err
		}
		d := after.total - before.total
		r.HTTPRequests = &d
	}
	if code != s.wantExit {
		return r, &unexpectedExit{args: s.args, code: code, want: s.wantExit, output: tail(logPath, 100)}
	}
	return r, nil
}

// terraformCmd runs terraform with its output in logPath and returns its
// exit code and the provider's peak memory in KiB. terraform runs in a
// process group of its own: cancelling ctx interrupts the group (terraform
// then stops gracefully), and what is left of the group once terraform has
// exited, such as the provider of a run killed after WaitDelay, is killed.
func (w *workspace) terraformCmd(ctx context.Context, logPath string, args []string) (code int, peakKB int64, err error) {
	log, err := os.Create(logPath)
	if err != nil {
		return -1, 0, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, w.terraform, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = w.dir, w.env, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		return -1, 0, err
	}
	mem := watchProviderMemory(cmd.Process.Pid)
	err = cmd.Wait()
	peakKB = mem.finish()
	if ctx.Err() != nil {
		// A provider outlives a terraform killed after WaitDelay; while it
		// lives, the group id cannot be reused by another process.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return -1, peakKB, fmt.Errorf("terraform %s: %w", args[0], context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return -1, peakKB, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return cmd.ProcessState.ExitCode(), peakKB, nil
}

// unexpectedExit is a terraform command that ended with the wrong exit code.
type unexpectedExit struct {
	args       []string
	code, want int
	output     string
}

func (e *unexpectedExit) Error() string {
	return fmt.Sprintf("terraform %s exited with %d, expected %d; the end of its output:\n%s",
		strings.Join(e.args, " "), e.code, e.want, e.output)
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(output unavailable: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
