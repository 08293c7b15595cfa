package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWriteResultsKeepsTheAnalysis: a run rewrites BENCHMARKS.md's figures
// and keeps what people wrote about them.
func TestWriteResultsKeepsTheAnalysis(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "BENCHMARKS.md")
	analysis := analysisHeading + "\n\n- The figures mean this.\n"
	if err := os.WriteFile(md, []byte("# Benchmarks\n\nold tables\n\n"+analysis), 0o644); err != nil {
		t.Fatal(err)
	}
	res := &Results{StartedAt: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), ForEach: "map"}
	opts := options{out: filepath.Join(dir, "results"), benchmarksMD: md}
	for range 2 { // twice: the analysis is kept once, not appended again
		if _, err := writeResults(res, opts); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if strings.Contains(doc, "old tables") {
		t.Error("the old figures were kept")
	}
	if !strings.HasSuffix(doc, "\n\n"+analysis) || strings.Count(doc, analysisHeading) != 1 {
		t.Errorf("BENCHMARKS.md does not end with the analysis, once:\n%s", doc)
	}
	if !strings.Contains(doc, "## Latest results (2026-11-22 15:00 UTC)") {
		t.Errorf("BENCHMARKS.md lacks the new results:\n%s", doc)
	}
}

// TestResultsBodyShowsTheStackFloor: each step's table has the stack
// floor's time and its ratio to the floor, and a ratio target names it.
func TestResultsBodyShowsTheStackFloor(t *testing.T) {
	steps := func(apply, noop, drift float64) []StepResult {
		return []StepResult{{Step: stepApply, Seconds: apply}, {Step: stepNoop, Seconds: noop}, {Step: stepDrift, Seconds: drift}}
	}
	res := &Results{ForEach: "map", Sizes: []SizeResult{{
		N: 1000, Changed: 10,
		Ours: steps(13, 6, 7), Floor: steps(10, 2, 2), StackFloor: steps(12.5, 5, 5.5),
	}}}
	res.Targets = evaluateTargets(res)
	body := resultsBody(res)
	for _, want := range []string{
		"| N | ours s | floor s | ratio | stack floor s | stack floor ratio |",
		"| 1000 | 13.00 | 10.00 | 1.30x | 12.50 | 1.25x |", // apply
		"| 1000 | 6.00 | 2.00 | 3.00x | 5.00 | 2.50x |",    // no-op plan
		"| 3.00x (stack floor: 2.50x) | MISS |",
		"| 1.30x (stack floor: 1.25x) | MET |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("results lack %q:\n%s", want, body)
		}
	}
	if svg := string(chartSVG(res)); strings.Count(svg, "<polyline") != 7 || !strings.Contains(svg, "no-op plan: stack floor") {
		t.Errorf("the chart does not draw the axes and six lines with the stack floor's:\n%s", svg)
	}
}

// TestResultsBodyShowsTheRoster: the roster's table has its four steps,
// their requests and the peak; its targets say MET or MISS with the figure,
// the rate-limited table names each run's configuration, and the chart
// draws the roster's lines.
func TestResultsBodyShowsTheRoster(t *testing.T) {
	mbp := func(v float64) *float64 { return &v }
	reqs := func(v int64) *int64 { return &v }
	rosterSteps := func(apply, noop, drift, driftApply float64, noopReqs int64, peak float64) []StepResult {
		return []StepResult{
			{Step: stepApply, Seconds: apply, HTTPRequests: reqs(14), ProviderPeakMB: mbp(peak)},
			{Step: stepNoop, Seconds: noop, HTTPRequests: reqs(noopReqs), ProviderPeakMB: mbp(peak / 2)},
			{Step: stepDrift, Seconds: drift, HTTPRequests: reqs(noopReqs + 1)},
			{Step: stepDriftApply, Seconds: driftApply, HTTPRequests: reqs(noopReqs + 2)},
		}
	}
	res := &Results{ForEach: "map",
		Roster: []RosterResult{
			{N: 5000, Changed: 50, Steps: rosterSteps(25, 16.2, 4.5, 31, 11, 120)},
			{N: 20000, Changed: 200, Steps: rosterSteps(300, 14, 200, 400, 41, 450)[:2]},
		},
		RateLimited:       &RateLimitedResult{Kind: kindOurs, N: 1000, RateLimit: 20, Seconds: 52, Succeeded: true, HTTPRequests: 1004},
		RateLimitedRoster: &RateLimitedResult{Kind: kindRoster, N: 5000, RateLimit: 20, Seconds: 61.5, Succeeded: true, HTTPRequests: 14},
	}
	res.Targets = evaluateTargets(res)
	body := resultsBody(res)
	for _, want := range []string{
		"| N | apply s | no-op plan s | plan after 1% s | apply of the change s | changed | HTTP requests | provider peak MB |",
		"| 5000 | 25.00 | 16.20 | 4.50 | 31.00 | 50 | 14 / 11 / 12 / 13 | 120.0 |",
		"| 20000 | 300.00 | 14.00 | - | - | 200 | 14 / 41 / - / - | 450.0 |",
		"| portal_partner_user | 1000 | 52.0 | succeeded |",
		"| portal_partner_roster | 5000 | 61.5 | succeeded |",
		"| roster of 5,000: no-op plan at most 5 s | 16.20s | MISS |",
		"| roster of 5,000: plan after 1% changed by hand at most 5 s | 4.50s | MET |",
		"| roster of 5,000: apply (create all) at most 30 s | 25.00s | MET |",
		"| roster of 20,000: no-op plan at most 15 s | 14.00s | MET |",
		"| roster of 20,000: provider peak memory under 400 MB | 450.0 MB (highest of the 2 steps measured) | MISS |",
		"| roster of 5,000: no-op plan makes at most 20 HTTP requests | 11 requests | MET |",
		"completes with no error in at most 60 s | succeeded in 61.5s, 14 requests, 0 answers 429 | MISS |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("results lack %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "### Apply (create all)") {
		t.Errorf("a run without per-user sizes has per-user tables:\n%s", body)
	}
	svg := string(chartSVG(res))
	if strings.Count(svg, "<polyline") != 3 || !strings.Contains(svg, "apply: portal_partner_roster") ||
		!strings.Contains(svg, "no-op plan: portal_partner_roster") || !strings.Contains(svg, ">20,000</text>") {
		t.Errorf("the chart does not draw the axes and the roster's two lines up to 20,000:\n%s", svg)
	}
}
