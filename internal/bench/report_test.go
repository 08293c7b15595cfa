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
