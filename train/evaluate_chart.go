package train

import (
	"fmt"

	"github.com/raysynth/raysynth/internal/fsutil"
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
func sensitivityChart(path string, r *EvalReport) error {
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
	var ticks []plot.Tick
	for v := 0; v <= 10; v++ {
		t := plot.Tick{Value: float64(v) / 10}
		if v%2 == 0 {
			t.Label = fmt.Sprintf("%.1f", t.Value)
		}
		ticks = append(ticks, t)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	wt, err := p.WriterTo(9*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	f, err := fsutil.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := wt.WriteTo(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
