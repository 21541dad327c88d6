package evaluate

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/raysynth/raysynth/train"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/workspace"
)

// Files of the DP utility curve, written beside the reference workspace's evaluation.
const (
	DPCurveJSON     = "dp-curve.json"
	DPCurveMD       = "dp-curve.md"
	DPCurveChartSen = "dp-curve-sensitivity.png"
	DPCurveChartFD  = "dp-curve-frechet.png"
)

// ErrCurveMismatch means two evaluations cannot be put on one curve: they were tested on
// different holdout sets or classes.
var ErrCurveMismatch = errors.New("evaluations are not comparable")

// DPCurve is eval/dp-curve.json: the utility of generators trained with differential privacy at
// several budgets, next to a generator trained without. Each point is one workspace (same
// ingest, same patient split) whose GANs were trained at one ε, then synthesised and evaluated
// with the same settings.
type DPCurve struct {
	Format   int            `json:"format"`
	Created  string         `json:"created"`
	Classes  []string       `json:"classes"`
	Holdout  map[string]int `json:"holdout_images"`
	Points   []DPCurvePoint `json:"points"` // by ε, the non-private ones last
	Findings []string       `json:"findings"`
	Notes    []string       `json:"notes"`
}

// DPCurvePoint is one workspace's generators and what their synthetic images did.
type DPCurvePoint struct {
	Name      string `json:"name"` // "ε 4", "non-private"; with the sampling rate when two points share ε
	Workspace string `json:"workspace"`
	// Private is true when every class's generator was trained with DP; Epsilon is then the
	// largest ε over classes (a patient in one class is covered by its class's ε) and Delta the
	// largest δ.
	Private    bool               `json:"private"`
	Epsilon    float64            `json:"epsilon,omitempty"`
	Delta      float64            `json:"delta,omitempty"`
	PerClassDP map[string]DPBrief `json:"dp_per_class,omitempty"`
	GANEpochs  int                `json:"gan_epochs"`
	GANBatch   int                `json:"gan_batch"`
	Synthetic  map[string]int     `json:"synthetic_images"`
	// Regime summaries on the holdout patients (mean ± sd over repeats).
	RealOnly  *CurveRegime   `json:"real_only,omitempty"`      // (a): does not depend on the generator
	Augmented *CurveRegime   `json:"real_plus_synthetic"`      // (b)
	SynthOnly *CurveRegime   `json:"synthetic_only,omitempty"` // (c)
	PerClass  []CurveClass   `json:"per_class"`
	Settings  CurveEvalSetup `json:"evaluation"`

	report *Report // what the point was read from (classes and images, for the comparison)
}

// DPBrief is one class generator's privacy: what summary.json's "dp" says, in short.
type DPBrief struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
	Noise   float64 `json:"noise_multiplier"`
	Rate    float64 `json:"sampling_rate"`
	Steps   int     `json:"steps"`
}

// CurveRegime is a regime's overall holdout result.
type CurveRegime struct {
	BalancedAccuracy metrics.Summary `json:"balanced_accuracy"`
	MacroF1          metrics.Summary `json:"macro_f1"`
}

// CurveClass is one class at one point of the curve.
type CurveClass struct {
	Class string `json:"class"`
	// Sensitivity on the holdout patients with real + synthetic (b), synthetic only (c) and real
	// only (a, the same at every point when the runs were shared).
	SensitivityB metrics.Summary `json:"sensitivity_b"`
	SensitivityC metrics.Summary `json:"sensitivity_c"`
	SensitivityA metrics.Summary `json:"sensitivity_a"`
	// BMinusA is (b) − (a) with its bootstrap interval; Verdict says whether it is beyond noise.
	BMinusA metrics.Difference `json:"b_minus_a"`
	Verdict string             `json:"verdict"`
	// Fréchet distance of the synthetic images to the real holdout, and of the real train images
	// to the real holdout (the floor), in the classifier's embedding.
	FD          metrics.Metric `json:"fd"`
	FDReference metrics.Metric `json:"fd_reference"`
	Precision   metrics.Metric `json:"precision"`
	Recall      metrics.Metric `json:"recall"`
}

// CurveEvalSetup are the evaluation settings of a point, which must agree along a curve.
type CurveEvalSetup struct {
	Repeats   int    `json:"repeats"`
	Epochs    int    `json:"epochs"`
	Seed      uint64 `json:"seed"`
	Synthetic string `json:"synthetic"`
	ImageSize int    `json:"image_size"`
}

// LoadDPCurvePoint reads a workspace's evaluation report and its generators' summaries.
func LoadDPCurvePoint(w *workspace.Workspace) (*DPCurvePoint, error) {
	path := filepath.Join(w.EvalDir(), EvalReportJSON)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no evaluation yet (run raysynth evaluate on this workspace first): %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &DPCurvePoint{Workspace: w.Dir, Synthetic: rep.Data.SyntheticImages, report: &rep,
		Settings: CurveEvalSetup{Repeats: rep.Repeats, Epochs: rep.Epochs, Seed: rep.Seed, Synthetic: rep.Synthetic, ImageSize: rep.ImageSize}}
	if rep.regime(RegimeBalanced) == nil {
		return nil, fmt.Errorf("%s: regime (b) real + synthetic was not run; evaluate with --regimes including b", path)
	}
	// The generators: every class with synthetic images needs one.
	private, trained := 0, 0
	for _, c := range rep.Classes {
		gs, err := train.ReadGANSummary(filepath.Join(w.GANDir(c), train.SummaryFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue // no generator for this class (skipped for too few images)
		}
		if err != nil {
			return nil, err
		}
		dp, err := gs.DecodeDP()
		if err != nil {
			return nil, err
		}
		trained++
		p.GANEpochs, p.GANBatch = max(p.GANEpochs, gs.Epochs), max(p.GANBatch, gs.Batch)
		if dp == nil {
			continue
		}
		private++
		if p.PerClassDP == nil {
			p.PerClassDP = map[string]DPBrief{}
		}
		p.PerClassDP[c] = DPBrief{Epsilon: dp.Epsilon, Delta: dp.Delta, Noise: dp.NoiseMultiplier, Rate: dp.SamplingRate, Steps: dp.Steps}
		p.Epsilon = math.Max(p.Epsilon, dp.Epsilon)
		p.Delta = math.Max(p.Delta, dp.Delta)
	}
	if trained == 0 {
		return nil, fmt.Errorf("%s: no trained generator (gan/*/summary.json)", w.Dir)
	}
	if private > 0 && private < trained {
		return nil, fmt.Errorf("%s: %d of %d class generators were trained with DP; a curve point needs all or none", w.Dir, private, trained)
	}
	p.Private = private > 0
	if !p.Private {
		p.Epsilon, p.Delta = 0, 0
	}
	curveRegime := func(key string) *CurveRegime {
		if r := rep.regime(key); r != nil {
			return &CurveRegime{BalancedAccuracy: r.Holdout.BalancedAccuracy, MacroF1: r.Holdout.MacroF1}
		}
		return nil
	}
	p.RealOnly, p.Augmented, p.SynthOnly = curveRegime(RegimeReal), curveRegime(RegimeBalanced), curveRegime(RegimeSynthetic)
	cmp := rep.comparison(RegimeReal, RegimeBalanced, "holdout")
	nan := metrics.Metric(math.NaN())
	for ci, c := range rep.Classes {
		cc := CurveClass{Class: c, FD: nan, FDReference: nan, Precision: nan, Recall: nan,
			SensitivityA: undefinedSummary(), SensitivityC: undefinedSummary(), Verdict: verdictTooFew}
		get := func(key string) metrics.Summary {
			if r := rep.regime(key); r != nil && ci < len(r.Holdout.PerClass) {
				return r.Holdout.PerClass[ci].Sensitivity
			}
			return undefinedSummary()
		}
		cc.SensitivityA, cc.SensitivityB, cc.SensitivityC = get(RegimeReal), get(RegimeBalanced), get(RegimeSynthetic)
		cc.BMinusA = metrics.Difference{Class: c, Diff: nan, Lo: nan, Hi: nan, A: nan, B: nan, PShare: nan}
		if cmp != nil && ci < len(cmp.Differences) {
			cc.BMinusA = cmp.Differences[ci]
			cc.Verdict = rep.verdict(cmp, ci)
		}
		if rep.Fidelity != nil {
			for _, f := range rep.Fidelity.PerClass {
				if f.Class == c {
					cc.FD, cc.FDReference, cc.Precision, cc.Recall = f.FD, f.FDReference, f.Precision, f.Recall
				}
			}
		}
		p.PerClass = append(p.PerClass, cc)
	}
	return p, nil
}

func undefinedSummary() metrics.Summary {
	nan := metrics.Metric(math.NaN())
	return metrics.Summary{Mean: nan, SD: nan}
}

// BuildDPCurve puts the points on one curve: it checks they were evaluated on the same classes
// and holdout images with the same settings, orders them by ε (non-private last) and states
// what the numbers show.
func BuildDPCurve(points []*DPCurvePoint) (*DPCurve, error) {
	if len(points) < 2 {
		return nil, fmt.Errorf("a curve needs two or more evaluated workspaces, got %d", len(points))
	}
	seen := map[string]bool{}
	for _, p := range points {
		abs, err := filepath.Abs(p.Workspace)
		if err != nil {
			abs = p.Workspace
		}
		if seen[abs] {
			return nil, fmt.Errorf("workspace %s is given twice", p.Workspace)
		}
		seen[abs] = true
	}
	ref := points[0].report
	c := &DPCurve{Format: 1, Created: time.Now().UTC().Format(time.RFC3339), Classes: ref.Classes, Holdout: ref.Data.HoldoutImages}
	for _, pt := range points[1:] {
		r, ws := pt.report, pt.Workspace
		if !slices.Equal(r.Classes, ref.Classes) {
			return nil, fmt.Errorf("%w: %s has classes %s, %s has %s", ErrCurveMismatch, ws, strings.Join(r.Classes, ","), points[0].Workspace, strings.Join(ref.Classes, ","))
		}
		for _, cl := range ref.Classes {
			if r.Data.HoldoutImages[cl] != ref.Data.HoldoutImages[cl] || r.Data.TrainImages[cl] != ref.Data.TrainImages[cl] {
				return nil, fmt.Errorf("%w: %s and %s have different train or holdout images of class %s (%d/%d against %d/%d); copy one ingested workspace for every ε so the split is the same",
					ErrCurveMismatch, ws, points[0].Workspace, cl, r.Data.TrainImages[cl], r.Data.HoldoutImages[cl], ref.Data.TrainImages[cl], ref.Data.HoldoutImages[cl])
			}
		}
		if pt.Settings != points[0].Settings {
			c.Notes = append(c.Notes, fmt.Sprintf("%s was evaluated with other settings (%+v) than %s (%+v): its differences mix the generator with the evaluation.",
				ws, pt.Settings, points[0].Workspace, points[0].Settings))
		}
		if pt.GANEpochs != points[0].GANEpochs || pt.GANBatch != points[0].GANBatch {
			c.Notes = append(c.Notes, fmt.Sprintf("%s's generators were trained for %d epochs at batch %d, %s's for %d at batch %d.",
				ws, pt.GANEpochs, pt.GANBatch, points[0].Workspace, points[0].GANEpochs, points[0].GANBatch))
		}
		for ci := range ref.Classes {
			a, b := points[0].PerClass[ci].FDReference, pt.PerClass[ci].FDReference
			if a.Defined() && b.Defined() && math.Abs(float64(a-b)) > 1e-6*math.Max(1, math.Abs(float64(a))) {
				c.Notes = append(c.Notes, fmt.Sprintf("%s measured Fréchet distances in another embedding than %s (its real-only model differs): compare each distance with its own reference, not across points.", ws, points[0].Workspace))
				break
			}
		}
	}
	for _, p := range points {
		c.Points = append(c.Points, *p)
	}
	slices.SortStableFunc(c.Points, func(a, b DPCurvePoint) int {
		switch {
		case a.Private && !b.Private:
			return -1
		case !a.Private && b.Private:
			return 1
		case a.Epsilon < b.Epsilon:
			return -1
		case a.Epsilon > b.Epsilon:
			return 1
		}
		return 0
	})
	for i := range c.Points {
		p := &c.Points[i]
		p.Name = p.baseLabel()
		for j := range c.Points {
			if o := &c.Points[j]; j != i && o.Private == p.Private && o.baseLabel() == p.baseLabel() {
				p.Name += " (" + p.rates() + ")"
				break
			}
		}
	}
	c.Findings = c.findings()
	return c, nil
}

// Label names a point: "ε 4", "non-private", or "ε 4 (q 0.15)" when another point has ε 4 too.
func (p *DPCurvePoint) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.baseLabel()
}

// rates is the point's sampling rate (a range when classes differ) and GAN epochs.
func (p *DPCurvePoint) rates() string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range p.PerClassDP {
		lo, hi = math.Min(lo, d.Rate), math.Max(hi, d.Rate)
	}
	q := ""
	switch {
	case math.IsInf(lo, 1):
	case fmt.Sprintf("%.3g", lo) == fmt.Sprintf("%.3g", hi):
		q = fmt.Sprintf("q %.3g, ", lo)
	default:
		q = fmt.Sprintf("q %.3g–%.3g, ", lo, hi)
	}
	return fmt.Sprintf("%s%d epochs", q, p.GANEpochs)
}

func (p *DPCurvePoint) baseLabel() string {
	if !p.Private {
		return "non-private"
	}
	return "ε " + trimFloat(p.Epsilon)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// findings states what the curve shows, class by class, in words.
func (c *DPCurve) findings() []string {
	var out []string
	var np *DPCurvePoint
	for i := range c.Points {
		if !c.Points[i].Private {
			np = &c.Points[i]
		}
	}
	for ci, cl := range c.Classes {
		var beyond, fds []string
		for _, p := range c.Points {
			cc := p.PerClass[ci]
			if cc.Verdict == verdictHigher || cc.Verdict == verdictLower {
				beyond = append(beyond, fmt.Sprintf("%s at %s (%+.3f)", cc.Verdict, p.Label(), float64(cc.BMinusA.Diff)))
			}
			fds = append(fds, fmt.Sprintf("%s %s", p.Label(), cc.FD.Format(1)))
		}
		s := fmt.Sprintf("%s: real + synthetic against real only, sensitivity ", cl)
		if len(beyond) == 0 {
			s += "within noise at every point"
		} else {
			s += strings.Join(beyond, "; ") + " (elsewhere within noise)"
		}
		ref := c.Points[0].PerClass[ci].FDReference
		s += fmt.Sprintf(". Fréchet distance to the holdout: %s (real train images: %s).", strings.Join(fds, ", "), ref.Format(1))
		out = append(out, s)
	}
	// The overall trend of the synthetic-only regime: the purest measure of what the images carry.
	var parts []string
	for _, p := range c.Points {
		if p.SynthOnly != nil {
			parts = append(parts, fmt.Sprintf("%s %s", p.Label(), p.SynthOnly.BalancedAccuracy.String()))
		}
	}
	if len(parts) > 0 {
		out = append(out, "Trained on synthetic images only and tested on real holdout patients, balanced accuracy: "+strings.Join(parts, ", ")+
			fmt.Sprintf(" (chance: %.3f).", 1/float64(len(c.Classes))))
	}
	if np != nil && np.RealOnly != nil {
		out = append(out, fmt.Sprintf("Real only (a), the bar every generator has to clear: balanced accuracy %s.", np.RealOnly.BalancedAccuracy.String()))
	}
	return out
}

// Markdown renders the curve as a report.
func (c *DPCurve) Markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Utility of differentially private generators against ε\n\n")
	p("Each point is one workspace with the same patient split: its GANs trained at one privacy budget (ε per class, patient level), its synthetic images used by `raysynth evaluate`. Tested on the real **holdout** patients (")
	var hs []string
	for _, cl := range c.Classes {
		hs = append(hs, fmt.Sprintf("%s %d", cl, c.Holdout[cl]))
	}
	p("%s images).\n\n", strings.Join(hs, ", "))
	ref := c.Points[len(c.Points)-1]
	p("Generators: %d epochs at batch %d (with DP an epoch is 1/q Poisson steps over patients). Evaluation: %d repeat(s) per regime, at most %d classifier epochs, %d×%d images, synthetic set %q.\n\n",
		ref.GANEpochs, ref.GANBatch, ref.Settings.Repeats, ref.Settings.Epochs, ref.Settings.ImageSize, ref.Settings.ImageSize, ref.Settings.Synthetic)
	p("| generator | ε (largest over classes) | δ | GAN steps per class | balanced accuracy (b) real + synthetic | (c) synthetic only | (a) real only |\n|---|---|---|---|---|---|---|\n")
	for _, pt := range c.Points {
		eps, delta, steps := "∞ (no DP)", "—", "—"
		if pt.Private {
			eps, delta = fmt.Sprintf("%.3g", pt.Epsilon), fmt.Sprintf("%.2g", pt.Delta)
			var ss []string
			for _, cl := range c.Classes {
				if d, ok := pt.PerClassDP[cl]; ok {
					ss = append(ss, fmt.Sprintf("%s %d (σ %.3g, q %.3g)", cl, d.Steps, d.Noise, d.Rate))
				}
			}
			steps = strings.Join(ss, "; ")
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", pt.Label(), eps, delta, steps, regimeStr(pt.Augmented), regimeStr(pt.SynthOnly), regimeStr(pt.RealOnly))
	}
	p("\n## Per class\n\n")
	for ci, cl := range c.Classes {
		p("### %s (%d holdout images)\n\n", cl, c.Holdout[cl])
		p("| generator | sensitivity (b) | (b) − (a), 95%% CI | verdict | sensitivity (c) | Fréchet distance (real train: %s) | precision | recall |\n|---|---|---|---|---|---|---|---|\n",
			c.Points[0].PerClass[ci].FDReference.Format(1))
		for _, pt := range c.Points {
			cc := pt.PerClass[ci]
			d := cc.BMinusA
			diff := "n/a"
			if d.Diff.Defined() {
				diff = fmt.Sprintf("%+.3f (%+.3f to %+.3f)", float64(d.Diff), float64(d.Lo), float64(d.Hi))
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", pt.Label(), cc.SensitivityB.String(), diff, cc.Verdict, cc.SensitivityC.String(), cc.FD.Format(1), cc.Precision.Format(3), cc.Recall.Format(3))
		}
		p("| real only (a) | %s | | | | | | |\n\n", c.Points[len(c.Points)-1].PerClass[ci].SensitivityA.String())
	}
	p("## Findings\n\n")
	for _, f := range c.Findings {
		p("- %s\n", f)
	}
	if len(c.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range c.Notes {
			p("- %s\n", n)
		}
	}
	p("\nWorkspaces: ")
	var ws []string
	for _, pt := range c.Points {
		ws = append(ws, fmt.Sprintf("%s `%s`", pt.Label(), pt.Workspace))
	}
	p("%s. Charts: %s, %s.\n", strings.Join(ws, ", "), DPCurveChartSen, DPCurveChartFD)
	return b.String()
}

func regimeStr(r *CurveRegime) string {
	if r == nil {
		return "not run"
	}
	return r.BalancedAccuracy.String()
}

// WriteDPCurve writes dp-curve.json, dp-curve.md and the two charts to dir, each atomically.
func WriteDPCurve(dir string, c *DPCurve) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, DPCurveJSON), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, DPCurveMD), []byte(c.Markdown()), 0o644); err != nil {
		return err
	}
	if err := curveSensitivityChart(filepath.Join(dir, DPCurveChartSen), c); err != nil {
		return err
	}
	return curveFDChart(filepath.Join(dir, DPCurveChartFD), c)
}
