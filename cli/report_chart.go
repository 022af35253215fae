package cli

import (
	"fmt"
	"math"
)

// The chart's geometry, in SVG user units.
const (
	chartLabelWidth = 260 // the step and assert names
	chartBarWidth   = 360 // a bar at 100%
	chartTextWidth  = 220 // the rate and its delta
	chartRowHeight  = 24
	chartBarHeight  = 14
	chartPad        = 6
)

// reportChart is the bar chart of pass rates: one bar for each step's
// instances, then one for each of its asserts.
type reportChart struct {
	Width, Height int
	BarX, TextX   int
	Bars          []chartBar
}

// chartBar is one bar and its labels.
type chartBar struct {
	Label         string
	Step          bool // the bar of a step's instances, not of an assert
	LabelX, Y     int  // Y is the top of the row
	BarY, TextY   int
	Width         float64 // the bar's length
	Full          int     // the track's length: 100%
	HasBase       bool    // the baseline has a rate: BaseX marks it
	BaseX         float64 // the left of the baseline's tick
	BaseY         int     // the top of the tick
	Rate          reportRate
	Title, Shown  string // the tooltip; the rate as text
	Delta, DeltaC string // the delta as text and its class
}

// newReportChart lays out the bars of the steps' rates.
func newReportChart(steps []reportStep) reportChart {
	c := reportChart{Width: chartLabelWidth + chartBarWidth + chartTextWidth, BarX: chartLabelWidth, TextX: chartLabelWidth + chartBarWidth + 8}
	add := func(label string, step bool, r reportRate) {
		y := chartPad + len(c.Bars)*chartRowHeight
		b := chartBar{
			Label: label, Step: step, LabelX: 4, Y: y, Rate: r,
			BarY: y + (chartRowHeight-chartBarHeight)/2, TextY: y + chartRowHeight/2 + 4,
			Full: chartBarWidth, Shown: r.RateText(), Delta: r.DeltaText(), DeltaC: r.DeltaClass(),
		}
		if !step {
			b.LabelX = 20
		}
		if rate, ok := r.Now.rate(); ok {
			b.Width = math.Round(rate*chartBarWidth*10) / 10
		}
		if rate, ok := r.Base.rate(); ok && r.HasBase {
			b.HasBase, b.BaseX, b.BaseY = true, chartLabelWidth+math.Round(rate*chartBarWidth*10)/10-1, y+1
		}
		b.Title = label + ": " + b.Shown
		if r.HasBase {
			b.Title += "; baseline " + r.BaseText()
		}
		c.Bars = append(c.Bars, b)
	}
	for _, s := range steps {
		add(s.Step, true, s.Instances)
		for _, a := range s.Asserts {
			add(a.Name, false, a)
		}
	}
	c.Height = 2*chartPad + len(c.Bars)*chartRowHeight
	return c
}

// RateText is the rate now: "92.0% (920 of 1,000)".
func (r reportRate) RateText() string { return rateText(r.Now) }

// BaseText is the rate in the baseline.
func (r reportRate) BaseText() string { return rateText(r.Base) }

func rateText(p passCount) string {
	rate, ok := p.rate()
	if !ok {
		return "no answers"
	}
	return fmt.Sprintf("%s (%s of %s)", percent(rate), num(p.passed), num(p.total))
}

// DeltaText is the change from the baseline in percentage points, "new"
// when the baseline has no answers, "gone" when now has none, and "" when
// there is no baseline.
func (r reportRate) DeltaText() string {
	if !r.HasBase {
		return ""
	}
	now, okNow := r.Now.rate()
	then, okThen := r.Base.rate()
	switch {
	case !okThen && !okNow:
		return ""
	case !okThen:
		return "new"
	case !okNow:
		return "gone"
	}
	d := math.Round((now-then)*1000) / 10
	switch {
	case d > 0:
		return fmt.Sprintf("+%.1f pts", d)
	case d < 0:
		return fmt.Sprintf("−%.1f pts", -d)
	}
	return "±0 pts"
}

// DeltaClass is the CSS class of the delta: up, down or same.
func (r reportRate) DeltaClass() string {
	now, okNow := r.Now.rate()
	then, okThen := r.Base.rate()
	switch {
	case !okNow || !okThen || math.Round((now-then)*1000) == 0:
		return "same"
	case now > then:
		return "up"
	}
	return "down"
}
