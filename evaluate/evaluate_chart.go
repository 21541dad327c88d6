package evaluate

import (
	"fmt"
	"math"

	"github.com/raysynth/raysynth/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// pointsWithErrors are mean ± sd points for YErrorBars.
type pointsWithErrors struct {
	xy  plotter.XYs
	err []float64
}

func (p pointsWithErrors) Len() int                    { return len(p.xy) }
func (p pointsWithErrors) XY(i int) (float64, float64) { return p.xy[i].X, p.xy[i].Y }
func (p pointsWithErrors) YError(i int) (float64, float64) {
	y := p.xy[i].Y // bars clipped to the possible range [0, 1]
	return min(p.err[i], y), min(p.err[i], 1-y)
}

// sensitivityChart draws per-class holdout sensitivity (mean ± sd over repeats) for every
// regime as a PNG. Undefined values are labelled "n/a" instead of being drawn as zero.
func sensitivityChart(path string, r *Report) error {
	p := plot.New()
	p.Title.Text = "Sensitivity per class on the holdout patients (mean ± sd over repeats)"
	p.Y.Label.Text = "sensitivity"
	p.NominalX(r.Classes...)
	n := len(r.Regimes)
	var na plotter.XYLabels
	for ri, reg := range r.Regimes {
		off := 0.0
		if n > 1 {
			off = (float64(ri)/float64(n-1) - 0.5) * 0.6
		}
		var pts pointsWithErrors
		for ci, cs := range reg.Holdout.PerClass {
			x := float64(ci) + off
			if !cs.Sensitivity.Mean.Defined() {
				na.XYs = append(na.XYs, plotter.XY{X: x, Y: 0.02})
				na.Labels = append(na.Labels, "n/a")
				continue
			}
			sd := 0.0
			if cs.Sensitivity.SD.Defined() {
				sd = float64(cs.Sensitivity.SD)
			}
			pts.xy = append(pts.xy, plotter.XY{X: x, Y: float64(cs.Sensitivity.Mean)})
			pts.err = append(pts.err, sd)
		}
		if len(pts.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts.xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: plotutil.Color(ri), Radius: vg.Points(4), Shape: plotutil.Shape(ri)}
		eb, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return err
		}
		eb.Color = plotutil.Color(ri)
		p.Add(eb, sc)
		p.Legend.Add(fmt.Sprintf("(%s) %s", reg.Key, reg.Name), sc)
	}
	if len(na.XYs) > 0 {
		l, err := plotter.NewLabels(na)
		if err != nil {
			return err
		}
		p.Add(l)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	// After Add, which widens the axes to the data: room above 1 for the legend.
	p.Y.Min, p.Y.Max = 0, 1+0.09*float64(n)
	p.X.Min, p.X.Max = -0.5, float64(len(r.Classes))-0.5
	p.Y.Tick.Marker = unitTicks()
	return chart.SavePNG(p, path, 9*vg.Inch, 5*vg.Inch)
}

// curvePlot is a plot with the curve's points as nominal x positions, the non-private last.
func curvePlot(c *DPCurve, title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.X.Label.Text = "privacy budget of the generators (ε per class, patient level; smaller is more private)"
	var labels []string
	for i := range c.Points {
		labels = append(labels, c.Points[i].Label())
	}
	p.NominalX(labels...)
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// addCurve adds one class's line (mean ± sd when sd is given) and, when ref is defined, a dashed
// reference line in the same colour. Undefined points are left out.
func addCurve(p *plot.Plot, ci int, name string, ys, sds []float64, ref float64, refName string) error {
	var pts pointsWithErrors
	for i, y := range ys {
		if math.IsNaN(y) {
			continue
		}
		pts.xy = append(pts.xy, plotter.XY{X: float64(i), Y: y})
		sd := 0.0
		if sds != nil && !math.IsNaN(sds[i]) {
			sd = sds[i]
		}
		pts.err = append(pts.err, sd)
	}
	if len(pts.xy) > 0 {
		l, sc, err := plotter.NewLinePoints(pts.xy)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(ci)
		sc.GlyphStyle = draw.GlyphStyle{Color: plotutil.Color(ci), Radius: vg.Points(4), Shape: plotutil.Shape(ci)}
		p.Add(l, sc)
		if sds != nil {
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return err
			}
			eb.Color = plotutil.Color(ci)
			p.Add(eb)
		}
		p.Legend.Add(name, l, sc)
	}
	if !math.IsNaN(ref) && len(ys) > 0 {
		rl, err := plotter.NewLine(plotter.XYs{{X: -0.2, Y: ref}, {X: float64(len(ys)-1) + 0.2, Y: ref}})
		if err != nil {
			return err
		}
		rl.Color = plotutil.Color(ci)
		rl.Dashes = []vg.Length{vg.Points(5), vg.Points(4)}
		p.Add(rl)
		p.Legend.Add(refName, rl)
	}
	return nil
}

// curveSensitivityChart draws per-class holdout sensitivity with real + synthetic (b) against ε,
// with real only (a) dashed.
func curveSensitivityChart(path string, c *DPCurve) error {
	p := curvePlot(c, "Sensitivity on the holdout patients, real + synthetic (b), mean ± sd; dashed: real only (a)", "sensitivity")
	for ci, cl := range c.Classes {
		var ys, sds []float64
		for _, pt := range c.Points {
			s := pt.PerClass[ci].SensitivityB
			ys, sds = append(ys, float64(s.Mean)), append(sds, float64(s.SD))
		}
		ref := float64(c.Points[len(c.Points)-1].PerClass[ci].SensitivityA.Mean)
		if err := addCurve(p, ci, cl+" (b)", ys, sds, ref, cl+" (a) real only"); err != nil {
			return err
		}
	}
	p.Y.Min, p.Y.Max = 0, 1+0.08*float64(2*len(c.Classes))
	p.Y.Tick.Marker = unitTicks()
	p.X.Min, p.X.Max = -0.5, float64(len(c.Points))-0.5
	return chart.SavePNG(p, path, 9*vg.Inch, 5*vg.Inch)
}

// curveFDChart draws each class's Fréchet distance of synthetic to holdout against ε, with the
// real train images' distance dashed (what "as close as real data" means).
func curveFDChart(path string, c *DPCurve) error {
	p := curvePlot(c, "Fréchet distance, synthetic to real holdout (classifier embedding); dashed: real train to holdout", "Fréchet distance (lower is closer)")
	top := 0.0
	for ci, cl := range c.Classes {
		var ys []float64
		for _, pt := range c.Points {
			v := float64(pt.PerClass[ci].FD)
			ys = append(ys, v)
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
		ref := float64(c.Points[0].PerClass[ci].FDReference)
		if err := addCurve(p, ci, cl, ys, nil, ref, cl+" real train"); err != nil {
			return err
		}
	}
	p.Y.Min = 0
	if top > 0 {
		p.Y.Max = top * (1.15 + 0.1*float64(2*len(c.Classes)))
	}
	p.X.Min, p.X.Max = -0.5, float64(len(c.Points))-0.5
	return chart.SavePNG(p, path, 9*vg.Inch, 5*vg.Inch)
}

// unitTicks marks 0 to 1 in tenths, labelling every other one (nothing above 1: the room there
// is for the legend).
func unitTicks() plot.Ticker {
	var ticks []plot.Tick
	for v := 0; v <= 10; v++ {
		t := plot.Tick{Value: float64(v) / 10}
		if v%2 == 0 {
			t.Label = fmt.Sprintf("%.1f", t.Value)
		}
		ticks = append(ticks, t)
	}
	return plot.ConstantTicks(ticks)
}
