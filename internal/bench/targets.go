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
	Status   string `json:"status"` // MET, MISS, or "not measured"
}

const notMeasured = "not measured"

// The sizes the targets are stated at.
const (
	targetN    = 1000
	targetMemN = 5000
	// The roster's targets (issue 13), at 5,000 and 20,000 people.
	rosterTargetN      = 5000
	rosterTargetLargeN = 20000
)

// evaluateTargets checks the targets against res.
func evaluateTargets(res *Results) []Target {
	at := findSize(res, targetN)
	mem := findSize(res, targetMemN)
	budget := requestBudget(targetN)
	return append([]Target{
		ratioTarget(at, stepNoop, 1.2, "no-op plan of 1,000 users at most 1.2x the floor"),
		check(at != nil, fmt.Sprintf("no-op plan of 1,000 users makes at most N/100+10 = %d HTTP requests", budget),
			func() (string, bool) {
				r := deref(stepOf(at.Ours, stepNoop).HTTPRequests)
				return fmt.Sprintf("%d requests", r), r <= int64(budget)
			}),
		ratioTarget(at, stepApply, 1.3, "apply of 1,000 new users at most 1.3x the floor"),
		check(mem != nil, "provider peak memory at 5,000 users under 150 MB", func() (string, bool) {
			peak := maxPeakMB(mem.Ours)
			return fmt.Sprintf("%.1f MB (highest of the %d steps)", peak, len(mem.Ours)), peak < 150
		}),
		check(res.RateLimited != nil && res.RateLimited.N == targetN,
			fmt.Sprintf("apply of 1,000 users against portald limited to %d req/s per token completes with no error", rateLimit),
			func() (string, bool) {
				rl := res.RateLimited
				return fmt.Sprintf("%s in %.1fs, %d answers 429", okWord(rl.Succeeded), rl.Seconds, rl.TooManyRequests), rl.Succeeded
			}),
	}, rosterTargets(res)...)
}

// rosterTargets are issue 13's targets for portal_partner_roster.
func rosterTargets(res *Results) []Target {
	secs := func(n int, step string, limit float64, goal string) Target {
		s, ok := rosterStep(res, n, step)
		return check(ok, goal, func() (string, bool) {
			return fmt.Sprintf("%.2fs", s.Seconds), s.Seconds <= limit
		})
	}
	noop, noopOK := rosterStep(res, rosterTargetN, stepNoop)
	large := findRoster(res, rosterTargetLargeN)
	rl := res.RateLimitedRoster
	return []Target{
		secs(rosterTargetN, stepNoop, 5, "roster of 5,000: no-op plan at most 5 s"),
		secs(rosterTargetN, stepDrift, 5, "roster of 5,000: plan after 1% changed by hand at most 5 s"),
		secs(rosterTargetN, stepApply, 30, "roster of 5,000: apply (create all) at most 30 s"),
		secs(rosterTargetLargeN, stepNoop, 15, "roster of 20,000: no-op plan at most 15 s"),
		check(large != nil && len(large.Steps) > 0, "roster of 20,000: provider peak memory under 400 MB", func() (string, bool) {
			peak := maxPeakMB(large.Steps)
			return fmt.Sprintf("%.1f MB (highest of the %d steps measured)", peak, len(large.Steps)), peak < 400
		}),
		check(noopOK && noop.HTTPRequests != nil, "roster of 5,000: no-op plan makes at most 20 HTTP requests", func() (string, bool) {
			r := deref(noop.HTTPRequests)
			return fmt.Sprintf("%d requests", r), r <= 20
		}),
		check(rl != nil && rl.N == rosterTargetN,
			fmt.Sprintf("roster of 5,000: apply against portald limited to %d req/s per token completes with no error in at most 60 s", rateLimit),
			func() (string, bool) {
				return fmt.Sprintf("%s in %.1fs, %d requests, %d answers 429", okWord(rl.Succeeded), rl.Seconds, rl.HTTPRequests, rl.TooManyRequests),
					rl.Succeeded && rl.Seconds <= 60
			}),
	}
}

// findRoster is the roster measured at N (nil if none).
func findRoster(res *Results, n int) *RosterResult {
	for i := range res.Roster {
		if res.Roster[i].N == n {
			return &res.Roster[i]
		}
	}
	return nil
}

// rosterStep is the roster's named step at N, and whether it was measured
// (run to the end with the expected exit code).
func rosterStep(res *Results, n int, step string) (StepResult, bool) {
	rr := findRoster(res, n)
	if rr == nil {
		return StepResult{Step: step}, false
	}
	for _, s := range rr.Steps {
		if s.Step == step {
			return s, true
		}
	}
	return StepResult{Step: step}, false
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
		status = "MET"
	}
	return Target{Goal: goal, Measured: text, Status: status}
}

// requestBudget is the no-op plan's request budget at N.
func requestBudget(n int) int { return n/100 + 10 }

// findSize is the size N if its apply, no-op plan and drift plan were
// measured for ours and the floor (the apply of the change may be missing).
func findSize(res *Results, n int) *SizeResult {
	for i := range res.Sizes {
		if sr := res.Sizes[i]; sr.N == n && len(sr.Ours) >= 3 && len(sr.Floor) >= 3 {
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
