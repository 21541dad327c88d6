package train

import (
	"fmt"
	"image/color"
	"math"

	"github.com/raysynth/raysynth/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours of loss.png (the test finds them in the pixels).
var (
	lossColorD       = color.RGBA{200, 40, 40, 255}
	lossColorG       = color.RGBA{40, 80, 200, 255}
	lossColorEpoch   = color.RGBA{170, 170, 170, 255}
	lossColorWarning = color.RGBA{240, 140, 0, 255}
)

// faint is c drawn at a fifth of its strength: the raw per-step losses under the smoothed ones.
func faint(c color.RGBA) color.RGBA {
	return color.RGBA{c.R / 5, c.G / 5, c.B / 5, 51} // premultiplied alpha
}

// lossPlot draws loss.png, read the way TensorBoard curves are: the discriminator and generator
// losses per step faint, their exponential moving averages strong, the x axis in epochs with a
// dashed line where each epoch ended, and an orange line and label where a collapse warning
// fired (see collapseWarnings).
func lossPlot(path, class string, entries []logEntry) error {
	// x of a step: its epoch's start plus its share of the epoch's steps
	perEpoch := map[int]int{}
	for _, e := range entries {
		if e.Type == "step" {
			perEpoch[e.Epoch]++
		}
	}
	var d, g plotter.XYs
	seen := map[int]int{}
	lastEpoch := 0
	for _, e := range entries {
		if e.Type != "step" {
			continue
		}
		seen[e.Epoch]++
		x := float64(e.Epoch-1) + float64(seen[e.Epoch])/float64(perEpoch[e.Epoch])
		d = append(d, plotter.XY{X: x, Y: e.DLoss})
		g = append(g, plotter.XY{X: x, Y: e.GLoss})
		lastEpoch = max(lastEpoch, e.Epoch)
	}
	if len(d) == 0 {
		return nil
	}
	span := max(5, len(d)/20)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("DCGAN losses: %s (%d epochs, %d steps; smoothed over ~%d steps)", class, lastEpoch, len(d), span)
	p.X.Label.Text = "epoch (dashed: end of an epoch)"
	p.Y.Label.Text = "loss"
	p.X.Min, p.X.Max = 0, float64(lastEpoch)
	p.X.Tick.Marker = chart.NiceTicks{Integer: true}
	p.Y.Tick.Marker = chart.NiceTicks{}
	p.Add(plotter.NewGrid())

	// epoch ends, thinned to at most about 50 lines
	every := max(1, lastEpoch/50)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range d {
		lo, hi = min(lo, d[i].Y, g[i].Y), max(hi, d[i].Y, g[i].Y)
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	if lo >= 0 {
		lo = 0 // losses are not negative: show how far from 0 they are
	}
	// room above the curves for the legend and the warnings' labels
	p.Y.Min, p.Y.Max = lo, hi+0.45*(hi-lo)
	for ep := every; ep < lastEpoch; ep += every {
		l, err := plotter.NewLine(plotter.XYs{{X: float64(ep), Y: lo}, {X: float64(ep), Y: hi}})
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = lossColorEpoch, vg.Points(1.2), []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l)
	}
	for _, s := range []struct {
		name string
		xy   plotter.XYs
		c    color.RGBA
	}{{"discriminator", d, lossColorD}, {"generator", g, lossColorG}} {
		raw, err := plotter.NewLine(s.xy)
		if err != nil {
			return err
		}
		raw.Color, raw.Width = faint(s.c), vg.Points(0.7)
		p.Add(raw)
	}
	for _, s := range []struct {
		name string
		xy   plotter.XYs
		c    color.RGBA
	}{{"discriminator", d, lossColorD}, {"generator", g, lossColorG}} {
		sm, err := plotter.NewLine(smoothEMA(s.xy, span))
		if err != nil {
			return err
		}
		sm.Color, sm.Width = s.c, vg.Points(2)
		p.Add(sm)
		p.Legend.Add(s.name+" (smoothed; raw per step faint)", sm)
	}
	// collapse warnings at the end of the epoch they fired in, labelled when there are few
	var warnedAt []int
	for _, e := range entries {
		if e.Type == "epoch" && len(e.Warning) > 0 {
			warnedAt = append(warnedAt, e.Epoch)
		}
	}
	var labels plotter.XYLabels
	for i, ep := range warnedAt {
		l, err := plotter.NewLine(plotter.XYs{{X: float64(ep), Y: lo}, {X: float64(ep), Y: hi}})
		if err != nil {
			return err
		}
		l.Color, l.Width = lossColorWarning, vg.Points(2)
		p.Add(l)
		if i == 0 {
			p.Legend.Add(fmt.Sprintf("collapse warning, %d epoch(s) (see train-log.jsonl)", len(warnedAt)), l)
		}
		if len(warnedAt) <= 8 {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(ep), Y: hi})
			labels.Labels = append(labels.Labels, fmt.Sprintf("collapse? %d", ep))
		}
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Color = lossColorWarning
			lb.TextStyle[i].XAlign = draw.XCenter
			lb.TextStyle[i].YAlign = draw.YBottom
		}
		p.Add(lb)
	}
	p.Legend.Top = true
	return chart.SavePNG(p, path, 9*vg.Inch, 4.5*vg.Inch)
}

// smoothEMA is the debiased exponential moving average TensorBoard draws, over about span points.
func smoothEMA(xy plotter.XYs, span int) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	w := 1 - 2/(float64(span)+1)
	var acc, norm float64
	for i, p := range xy {
		acc = w*acc + (1-w)*p.Y
		norm = w*norm + (1 - w)
		out[i] = plotter.XY{X: p.X, Y: acc / norm}
	}
	return out
}
