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
		"| 1.30x (stack floor: 1.25x) | PASS |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("results lack %q:\n%s", want, body)
		}
	}
	if svg := string(chartSVG(res)); strings.Count(svg, "<polyline") != 7 || !strings.Contains(svg, "no-op plan: stack floor") {
		t.Errorf("the chart does not draw the axes and six lines with the stack floor's:\n%s", svg)
	}
}
