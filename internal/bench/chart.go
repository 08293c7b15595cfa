package main

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH               = 860, 440
	plotL, plotR, plotT, plotB   = 70, 560, 50, 380 // the plot area's edges
	legendX, legendY, legendStep = 580, 70, 22
)

// series is one line of the chart.
type series struct {
	label  string
	color  string
	dash   string       // stroke-dasharray; "" for a solid line
	points [][2]float64 // N, seconds
}

// add plots a step at N, unless it was not measured.
func (l *series) add(n int, s StepResult) {
	if s.Seconds > 0 {
		l.points = append(l.points, [2]float64{float64(n), s.Seconds})
	}
}

// chartSVG draws wall time against N (log scale) for apply and the no-op
// plan, ours beside the floor and the stack floor, as a standalone SVG 1.1
// document. A configuration with nothing measured is left out.
func chartSVG(res *Results) []byte {
	var lines []series
	for _, s := range []struct{ step, name, color string }{{stepApply, "apply", "#1f77b4"}, {stepNoop, "no-op plan", "#d62728"}} {
		ours := series{label: s.name + ": portal_partner_user", color: s.color}
		floor := series{label: s.name + ": terraform_data (floor)", color: s.color, dash: "6,4"}
		stack := series{label: s.name + ": stack floor", color: s.color, dash: "2,3"}
		roster := series{label: s.name + ": portal_partner_roster", color: s.color, dash: "10,3,2,3"}
		for _, sr := range res.Sizes {
			ours.add(sr.N, stepOf(sr.Ours, s.step))
			floor.add(sr.N, stepOf(sr.Floor, s.step))
			stack.add(sr.N, stepOf(sr.StackFloor, s.step))
		}
		for _, rr := range res.Roster {
			roster.add(rr.N, stepOf(rr.Steps, s.step))
		}
		for _, l := range []series{ours, floor, stack, roster} {
			if len(l.points) > 0 {
				lines = append(lines, l)
			}
		}
	}

	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	for _, l := range lines {
		for _, p := range l.points {
			xmin, xmax, ymax = math.Min(xmin, p[0]), math.Max(xmax, p[0]), math.Max(ymax, p[1])
		}
	}
	if math.IsInf(xmin, 1) { // nothing measured
		xmin, xmax = 10, 1000
	}
	// A margin of a third of a decade on each side keeps the end points off the axes.
	lo, hi := math.Log10(xmin)-0.3, math.Log10(xmax)+0.3
	step := niceStep(ymax / 5)
	top := step * math.Max(1, math.Ceil(ymax/step))
	x := func(n float64) float64 { return plotL + (math.Log10(n)-lo)/(hi-lo)*(plotR-plotL) }
	y := func(s float64) float64 { return plotB - s/top*(plotB-plotT) }

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">
<title>terraform wall time against N: portal_partner_user and portal_partner_roster beside the terraform_data floor</title>
<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>
<text x="%d" y="28" font-size="15" font-weight="bold">terraform wall time against N (%s)</text>
`, chartW, chartH, chartW, chartH, chartW, chartH, plotL, esc(res.StartedAt.Format("2006-01-02")))
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>`+"\n", plotL, y(v), plotR, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotL-8, y(v)+4, esc(trimFloat(v)))
	}
	for _, n := range chartSizes(res) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#dddddd"/>`+"\n", x(float64(n)), plotT, x(float64(n)), plotB)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(float64(n)), plotB+18, esc(thousands(n)))
	}
	fmt.Fprintf(&b, `<polyline points="%d,%d %d,%d %d,%d" fill="none" stroke="#000000"/>`+"\n", plotL, plotT, plotL, plotB, plotR, plotB)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">N, resources (log scale)</text>`+"\n", (plotL+plotR)/2, plotB+42)
	fmt.Fprintf(&b, `<text x="18" y="%d" text-anchor="middle" transform="rotate(-90 18 %d)">wall time (seconds)</text>`+"\n", (plotT+plotB)/2, (plotT+plotB)/2)

	for i, l := range lines {
		dash := ""
		if l.dash != "" {
			dash = ` stroke-dasharray="` + l.dash + `"`
		}
		var pts []string
		for _, p := range l.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p[0]), y(p[1])))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), l.color, dash)
		for _, p := range l.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p[0]), y(p[1]), l.color)
		}
		ly := legendY + i*legendStep
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", legendX, ly, legendX+28, ly, l.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", legendX+34, ly+4, esc(l.label))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// chartSizes are the values of N measured, per user or roster, ascending
// and once each.
func chartSizes(res *Results) []int {
	var ns []int
	for _, sr := range res.Sizes {
		ns = append(ns, sr.N)
	}
	for _, rr := range res.Roster {
		ns = append(ns, rr.N)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string { return fmt.Sprintf("%g", math.Round(v*1000)/1000) }

// thousands writes n with comma separators: 5000 is "5,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }
