package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// writeResults writes results.json, results.md and chart.svg into a new
// OUT/<UTC timestamp>/ folder, then BENCHMARKS.md, and returns the folder.
func writeResults(res *Results, opts options) (string, error) {
	stamp := res.StartedAt.Format("20060102T150405Z")
	dir := filepath.Join(opts.out, stamp)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return "", err
	}
	md := fmt.Sprintf("# Benchmark results, %s\n\n%s\n%s\n![wall time against N](chart.svg)\n",
		res.StartedAt.Format("2006-01-02 15:04 UTC"), machineSection(res), resultsBody(res))
	files := map[string][]byte{"results.json": append(js, '\n'), "results.md": []byte(md), "chart.svg": chartSVG(res)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	if opts.benchmarksMD != "" {
		prev, err := os.ReadFile(opts.benchmarksMD)
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		doc := benchmarksMD(res, opts.benchmarksMD, dir) + analysisOf(string(prev))
		if err := os.WriteFile(opts.benchmarksMD, []byte(doc), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// analysisHeading starts the hand-written part of BENCHMARKS.md, which a
// run keeps: what the figures mean is not something the runner can write.
const analysisHeading = "## What the figures say"

// analysisOf returns the hand-written part of a BENCHMARKS.md, from
// analysisHeading to the end, after a blank line; "" if it has none.
func analysisOf(doc string) string {
	i := strings.Index(doc, "\n"+analysisHeading+"\n")
	if i < 0 {
		return ""
	}
	return "\n" + doc[i+1:]
}

// benchmarksMD is the repository's BENCHMARKS.md: how to run the
// benchmark, the machine and the latest results.
func benchmarksMD(res *Results, mdPath, dir string) string {
	link := func(name string) string {
		p := filepath.Join(dir, name)
		if rel, err := filepath.Rel(filepath.Dir(mdPath), p); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
		return filepath.ToSlash(p)
	}
	var b strings.Builder
	b.WriteString(`# Benchmarks

How the provider scales with the number of users, measured with the real ` + "`terraform`" + ` binary
against a real portald on loopback, beside Terraform's own floor: the same steps with as many
` + "`terraform_data`" + ` resources, which cost Terraform's graph, state and plan rendering but no
provider and no network; and beside a second floor, the stack floor: ` + "`portal_partner_user`" + ` with
the real schema (validators, plan modifiers, default) served by a provider on the same plugin
stack (terraform-plugin-framework over gRPC, started by Terraform) that does no work at all, no
HTTP and no checks ([internal/bench/stackfloor](internal/bench/stackfloor/main.go)). What the stack floor
takes above ` + "`terraform_data`" + ` is the cost of an external provider and of this resource's 12
attributes to Terraform and the framework; what ours takes above the stack floor is the provider's own.

` + "```sh" + `
make bench   # make build, then go run ./internal/bench (over an hour on 2 CPUs)
go run ./internal/bench -sizes 100,1000 -roster-sizes 100,1000,5000 -rate-limited 0 -rate-limited-roster 0   # quicker, after make build
` + "```" + `

At each N: ` + "`terraform apply`" + ` creating N resources, a no-op ` + "`terraform plan -detailed-exitcode`" + `
(exit 0), a plan after 1% of the objects changed (exit 2), and the apply of that change: for
` + "`portal_partner_user`" + `, max(1, N/100) users granted ` + "`read_only`" + ` by hand through the API; for the
floor, as many ` + "`terraform_data`" + ` inputs edited in the configuration; for the stack floor, as many
users' roles edited in the configuration. The fourth configuration, ` + "`portal_partner_roster`" + `, is one
resource holding all N people (` + "`-roster-sizes`" + `, up to 20,000 while the per-user ones stop at 5,000),
written through the users batch route, with the same four steps and the same hand change. Every N
gets a fresh portald and fresh folders. Wall time is the terraform command's; HTTP requests are what portald's ` + "`/metrics`" + `
counted during the step; peak memory is the provider process's VmHWM, polled every 50 ms.
All three configurations use ` + "`for_each`" + ` over a map from each email to itself; ` + "`-for-each set`" + ` uses
` + "`toset()`" + ` of the emails instead, as the issue wrote it, but Terraform 1.11 evaluates a resource's
` + "`for_each`" + ` again for every instance it plans and goes through a set far more slowly than through
a map's keys: with a set, the floor alone takes about 20 s to plan 1,000 and hours at 5,000.
See [internal/bench/README.md](internal/bench/README.md) for the details and caveats. These are
measurements, not tests: a MISS below is a finding to act on, and the run still succeeds.

`)
	b.WriteString(machineSection(res))
	fmt.Fprintf(&b, "\n## Latest results (%s)\n\n", res.StartedAt.Format("2006-01-02 15:04 UTC"))
	b.WriteString(resultsBody(res))
	fmt.Fprintf(&b, "\nChart of wall time against N: [chart.svg](%s). All figures: [results.json](%s), [results.md](%s).\n\n![wall time against N](%s)\n",
		link("chart.svg"), link("results.json"), link("results.md"), link("chart.svg"))
	return b.String()
}

// machineSection describes the machine as a markdown list.
func machineSection(res *Results) string {
	m := res.Machine
	return fmt.Sprintf(`## Machine

- CPUs (nproc): %d, %s
- Memory (MemTotal): %s
- Kernel: %s
- %s
- %s
- terraform -parallelism=%d
`, m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.Terraform, m.Go, res.Parallelism)
}

// column is one column of a per-step table.
type column struct {
	head  string
	right bool // right-aligned (numbers)
	cell  func(r row) string
}

// row is one step at one N, for each configuration.
type row struct {
	n                  int
	ours, floor, stack StepResult
}

// resultsBody is the tables: one per step, the rate-limited run, the targets.
func resultsBody(res *Results) string {
	var b strings.Builder
	if res.Incomplete != "" {
		first, _, _ := strings.Cut(res.Incomplete, "\n")
		fmt.Fprintf(&b, "**Incomplete run**, stopped early: %s\n\n", first)
	}
	fmt.Fprintf(&b, "Per-user configurations: for_each over a %s of N emails. Seconds are wall time; ratio is ours over the floor (`terraform_data`); "+
		"the stack floor is `portal_partner_user` served by a provider on the same plugin stack that does no work.\n\n", res.ForEach)
	budget := column{"budget N/100+10", true, func(r row) string { return fmt.Sprint(requestBudget(r.n)) }}
	changed := column{"changed", true, func(r row) string { return fmt.Sprint(changedAt(r.n)) }}
	if len(res.Sizes) > 0 {
		stepTable(&b, res, stepApply, "Apply (create all)")
		stepTable(&b, res, stepNoop, "No-op plan", budget)
		stepTable(&b, res, stepDrift, "Plan after 1% changed by hand (floors: by config edit)", changed)
		stepTable(&b, res, stepDriftApply, "Apply of that 1% change", changed)
	}
	rosterTable(&b, res)
	if rls := rateLimitedRuns(res); len(rls) > 0 {
		fmt.Fprintf(&b, "### Apply against portald limited to %g requests per second per token\n\n", rls[0].RateLimit)
		b.WriteString("| configuration | N | s | result | exit code | HTTP requests | 429 answers | provider peak MB |\n|---|---:|---:|---|---:|---:|---:|---:|\n")
		for _, rl := range rls {
			fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %d | %d | %d | %s |\n", kindName(rl.Kind), rl.N, rl.Seconds, okWord(rl.Succeeded), rl.ExitCode,
				rl.HTTPRequests, rl.TooManyRequests, mb(&rl.ProviderPeakMB))
		}
		b.WriteString("\n")
	}
	b.WriteString("### Targets\n\n| target | measured | result |\n|---|---|---|\n")
	for _, t := range res.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Goal, t.Measured, t.Status)
	}
	return b.String()
}

// rateLimitedRuns are the rate-limited runs measured: per user, then roster.
func rateLimitedRuns(res *Results) []*RateLimitedResult {
	var out []*RateLimitedResult
	for _, rl := range []*RateLimitedResult{res.RateLimited, res.RateLimitedRoster} {
		if rl != nil {
			out = append(out, rl)
		}
	}
	return out
}

// kindName names a rate-limited run's configuration; runs written before
// the roster existed have no kind and were portal_partner_user.
func kindName(kind string) string {
	if kind == "" {
		return kindOurs
	}
	return kind
}

// rosterTable writes portal_partner_roster's table: one row per N with the
// four steps' wall time, HTTP requests and the provider's peak memory.
func rosterTable(b *strings.Builder, res *Results) {
	if len(res.Roster) == 0 {
		return
	}
	b.WriteString("### portal_partner_roster: one resource holding all N people\n\n")
	b.WriteString("Each person `roles = [\"member\"]`, as the per-user configuration; the 1% is max(1, N/100) people granted `read_only` by hand " +
		"through the API, and the apply of the change puts their roles back. Requests are apply / no-op plan / plan after 1% / apply of the change.\n\n")
	b.WriteString("| N | apply s | no-op plan s | plan after 1% s | apply of the change s | changed | HTTP requests | provider peak MB |\n" +
		"|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rr := range res.Roster {
		var reqs []string
		cells := []string{fmt.Sprint(rr.N)}
		for _, step := range []string{stepApply, stepNoop, stepDrift, stepDriftApply} {
			s := stepOf(rr.Steps, step)
			cells = append(cells, seconds(s))
			reqs = append(reqs, count(s.HTTPRequests))
		}
		peak := maxPeakMB(rr.Steps)
		cells = append(cells, fmt.Sprint(rr.Changed), strings.Join(reqs, " / "), mb(&peak))
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
}

// stepTable writes one step's table: N, our time and the floor's, their
// ratio, the same for the stack floor, our requests, the extra columns, and
// the provider's peak memory.
func stepTable(b *strings.Builder, res *Results, step, title string, extra ...column) {
	cols := []column{
		{"N", true, func(r row) string { return fmt.Sprint(r.n) }},
		{"ours s", true, func(r row) string { return seconds(r.ours) }},
		{"floor s", true, func(r row) string { return seconds(r.floor) }},
		{"ratio", true, func(r row) string { return ratioText(ratio(r.ours, r.floor)) }},
		{"stack floor s", true, func(r row) string { return seconds(r.stack) }},
		{"stack floor ratio", true, func(r row) string { return ratioText(ratio(r.stack, r.floor)) }},
		{"ours HTTP requests", true, func(r row) string { return count(r.ours.HTTPRequests) }},
	}
	cols = append(cols, extra...)
	cols = append(cols, column{"provider peak MB", true, func(r row) string { return mb(r.ours.ProviderPeakMB) }})

	fmt.Fprintf(b, "### %s\n\n", title)
	var head, rule []string
	for _, c := range cols {
		head = append(head, c.head)
		rule = append(rule, map[bool]string{true: "---:", false: "---"}[c.right])
	}
	fmt.Fprintf(b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	for _, sr := range res.Sizes {
		r := row{n: sr.N, ours: stepOf(sr.Ours, step), floor: stepOf(sr.Floor, step), stack: stepOf(sr.StackFloor, step)}
		var cells []string
		for _, c := range cols {
			cells = append(cells, c.cell(r))
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
}

// seconds formats a step's wall time; "-" for a step not measured.
func seconds(s StepResult) string {
	if s.Seconds <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", s.Seconds)
}

// count formats a request count; "-" when there is none.
func count(p *int64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func ratioText(r float64) string {
	if math.IsNaN(r) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// mb formats a peak in MiB; "-" when no provider process was seen.
func mb(p *float64) string {
	if p == nil || *p == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}
