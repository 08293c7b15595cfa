package main

import (
	"fmt"
	"math"
)

// Target is one goal of the issue, checked against what was measured. The
// benchmark reports it; it does not fail on a miss.
type Target struct {
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Status   string `json:"status"` // PASS, MISS, or "not measured"
}

const notMeasured = "not measured"

// The sizes the targets are stated at.
const (
	targetN    = 1000
	targetMemN = 5000
)

// evaluateTargets checks the targets against res.
func evaluateTargets(res *Results) []Target {
	at := findSize(res, targetN)
	mem := findSize(res, targetMemN)
	budget := requestBudget(targetN)
	return []Target{
		ratioTarget(at, stepNoop, 1.2, "no-op plan of 1,000 users at most 1.2x the floor"),
		check(at != nil, fmt.Sprintf("no-op plan of 1,000 users makes at most N/100+10 = %d HTTP requests", budget),
			func() (string, bool) {
				r := deref(stepOf(at.Ours, stepNoop).HTTPRequests)
				return fmt.Sprintf("%d requests", r), r <= int64(budget)
			}),
		ratioTarget(at, stepApply, 1.3, "apply of 1,000 new users at most 1.3x the floor"),
		check(mem != nil, "provider peak memory at 5,000 users under 150 MB", func() (string, bool) {
			peak := maxPeakMB(mem.Ours)
			return fmt.Sprintf("%.1f MB (highest of the three steps)", peak), peak < 150
		}),
		check(res.RateLimited != nil && res.RateLimited.N == targetN,
			fmt.Sprintf("apply of 1,000 users against portald limited to %d req/s per token completes with no error", rateLimit),
			func() (string, bool) {
				rl := res.RateLimited
				return fmt.Sprintf("%s in %.1fs, %d answers 429", okWord(rl.Succeeded), rl.Seconds, rl.TooManyRequests), rl.Succeeded
			}),
	}
}

// ratioTarget checks that a step at sr takes at most limit times the floor,
// and says what the stack floor took beside it: the least any provider on
// this plugin stack could take.
func ratioTarget(sr *SizeResult, step string, limit float64, goal string) Target {
	return check(sr != nil, goal, func() (string, bool) {
		floor := stepOf(sr.Floor, step)
		r := ratio(stepOf(sr.Ours, step), floor)
		text := fmt.Sprintf("%.2fx", r)
		if s := ratio(stepOf(sr.StackFloor, step), floor); !math.IsNaN(s) {
			text += fmt.Sprintf(" (stack floor: %.2fx)", s)
		}
		return text, r <= limit
	})
}

// check builds a Target; measure runs only when measured is true.
func check(measured bool, goal string, measure func() (string, bool)) Target {
	if !measured {
		return Target{Goal: goal, Measured: "-", Status: notMeasured}
	}
	text, ok := measure()
	status := "MISS"
	if ok {
		status = "PASS"
	}
	return Target{Goal: goal, Measured: text, Status: status}
}

// requestBudget is the no-op plan's request budget at N.
func requestBudget(n int) int { return n/100 + 10 }

// findSize is the size N if all its steps were measured.
func findSize(res *Results, n int) *SizeResult {
	for i := range res.Sizes {
		if sr := res.Sizes[i]; sr.N == n && len(sr.Ours) == len(sr.Floor) && len(sr.Ours) == 3 {
			return &res.Sizes[i]
		}
	}
	return nil
}

// stepOf is the named step of a list (zero if absent).
func stepOf(steps []StepResult, name string) StepResult {
	for _, s := range steps {
		if s.Step == name {
			return s
		}
	}
	return StepResult{Step: name}
}

// ratio is ours' time over the floor's (NaN when either is missing).
func ratio(ours, floor StepResult) float64 {
	if floor.Seconds <= 0 || ours.Seconds <= 0 {
		return math.NaN()
	}
	return ours.Seconds / floor.Seconds
}

func maxPeakMB(steps []StepResult) float64 {
	var peak float64
	for _, s := range steps {
		peak = max(peak, deref(s.ProviderPeakMB))
	}
	return peak
}

func okWord(ok bool) string {
	if ok {
		return "succeeded"
	}
	return "failed"
}
