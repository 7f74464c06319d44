package main

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writePlot draws the report as a grouped bar chart into path (the
// extension chooses SVG, PNG or PDF): one group of bars per case, one bar
// per backend or peer, its height the speed relative to the fastest of
// the case (the fastest is 1; half as fast is 0.5). A wrong or failed
// case has no bar.
func writePlot(path string, rep *Report) error {
	results := rep.sorted()
	// Bars in the order of the report's backends, then its peers, so that
	// a backend has the same place and colour in every group.
	var cases, backends []string
	caseIdx, backendIdx := map[string]int{}, map[string]int{}
	addBackend := func(name string) {
		if _, ok := backendIdx[name]; !ok {
			backendIdx[name] = len(backends)
			backends = append(backends, name)
		}
	}
	for _, b := range rep.Backends {
		addBackend(b.Name)
	}
	for _, p := range rep.Peers {
		addBackend(p.Name)
	}
	for _, r := range results {
		label := plotLabel(r)
		if _, ok := caseIdx[label]; !ok {
			caseIdx[label] = len(cases)
			cases = append(cases, label)
		}
		addBackend(r.Backend)
	}
	if len(cases) == 0 {
		return fmt.Errorf("no results to plot")
	}
	speed := make([]plotter.Values, len(backends))
	for i := range speed {
		speed[i] = make(plotter.Values, len(cases))
	}
	for _, r := range results {
		if r.RatioToBest == nil || *r.RatioToBest <= 0 || math.IsInf(*r.RatioToBest, 0) {
			continue
		}
		speed[backendIdx[r.Backend]][caseIdx[plotLabel(r)]] = 1 / *r.RatioToBest
	}

	p := plot.New()
	m := rep.Machine
	p.Title.Text = fmt.Sprintf("embench on %s (%d cores): speed relative to the fastest", m.CPU, m.Cores)
	p.Y.Label.Text = "speed (fastest = 1)"
	p.Y.Min, p.Y.Max = 0, 1.25 // room for the legend
	groupWidth := vg.Points(60)
	barWidth := groupWidth / vg.Length(len(backends))
	for i, b := range backends {
		bars, err := plotter.NewBarChart(speed[i], barWidth)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = barWidth * (vg.Length(i) - vg.Length(len(backends)-1)/2)
		p.Add(bars)
		p.Legend.Add(b, bars)
	}
	p.Legend.Top = true
	p.NominalX(cases...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	width := vg.Length(len(cases))*groupWidth*1.3 + 3*vg.Inch
	return p.Save(width, 6*vg.Inch, path)
}

// plotLabel names a result's group of bars: the scenario, and the dtype
// for the store's cases.
func plotLabel(r Result) string {
	if isStoreScenario(r.Scenario) || r.DType != "float32" {
		return r.Scenario + " " + r.DType
	}
	return r.Scenario
}
