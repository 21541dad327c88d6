package privacy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/raysynth/raysynth/internal/chart"
	"github.com/raysynth/raysynth/internal/contract"
	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

const privateNotice = "PRIVATE: this report names and shows real patient images; it must never be published. Publish privacy/summary.json instead."

// Summary is the public aggregate summary, read by other stages as [contract.PrivacySummary]: no real image, no patient pseudonym, no
// image id, no path.
type Summary struct {
	Passed       bool           `json:"passed"`
	FailedChecks []string       `json:"failed_checks"`
	Policy       Policy         `json:"policy"`
	Checks       []Check        `json:"checks"`
	Counts       Counts         `json:"counts"`
	Embedding    []string       `json:"embedding"`
	Filter       *PublicFilter  `json:"filter"`
	Method       map[string]any `json:"method"`
	// CollapseCheck is train's check of each class's generator for collapse (few distinct
	// nearest training films, little diversity), read from gan/<class>/summary.json. It does not
	// decide the gate; its warnings say the released set may be a few films repeated.
	CollapseCheck []CollapseCheck `json:"collapse_check,omitempty"`
}

// CollapseCheck is one class's collapse check as train gan measured it on its sample grid.
type CollapseCheck struct {
	Class string `json:"class"`
	contract.SampleCheck
}

// readCollapseChecks reads the collapse check of each class's generator (classes without a
// summary or a check, e.g. images made by another tool, are left out).
func readCollapseChecks(ws *workspace.Workspace, classes []string) []CollapseCheck {
	var out []CollapseCheck
	for _, c := range slices.Sorted(slices.Values(classes)) {
		b, err := os.ReadFile(filepath.Join(ws.GANDir(c), "summary.json"))
		if err != nil {
			continue
		}
		var g contract.GANSummary
		if json.Unmarshal(b, &g) != nil || g.SampleCheck == nil {
			continue
		}
		out = append(out, CollapseCheck{Class: c, SampleCheck: *g.SampleCheck})
	}
	return out
}

// Counts are the candidate and approved image counts.
type Counts struct {
	Candidates int                    `json:"candidates"`
	Approved   int                    `json:"approved"`
	Removed    int                    `json:"removed"`
	PerClass   map[string]ClassCounts `json:"per_class"`
}

// ClassCounts are the counts of one class.
type ClassCounts struct {
	Candidates int `json:"candidates"`
	Approved   int `json:"approved"`
	Removed    int `json:"removed"`
}

// PublicFilter is the filtering record without image ids.
type PublicFilter struct {
	MaxRounds int            `json:"max_rounds"`
	Target    map[string]int `json:"target"`
	Rounds    []FilterRound  `json:"rounds"`
	Removed   int            `json:"removed"`
	Reached   bool           `json:"reached"`
}

func newSummary(ev *Evaluation, pol Policy, emb []string, candidates, approved int, filt *FilterRecord, final []candidate) *Summary {
	s := &Summary{Passed: ev.Passed, FailedChecks: ev.FailedChecks(), Policy: pol, Checks: ev.Checks, Embedding: emb,
		Counts: Counts{Candidates: candidates, Approved: approved, PerClass: map[string]ClassCounts{}},
		Method: map[string]any{
			"search":         "exact k-nearest-neighbour search (blocked SGEMM, ‖a‖²+‖b‖²−2a·b), nearest candidates re-ranked in float64",
			"pixel_distance": fmt.Sprintf("Euclidean distance of zero-mean unit-norm centre crops, minimised over shifts of up to %d pixels", pol.Memorization.ShiftPixels),
			"subsets":        "equal-size train and holdout subsets, one image per patient",
			"membership":     "GAN-Leaks black box: mean distance of a real image to its nearest synthetic images, averaged per patient",
			"decision":       fmt.Sprintf("statistical checks fail when the one-sided %.0f%% bootstrap bound is beyond the threshold (confidence 0: point estimate)", 100*pol.Statistics.Confidence),
			"train_subset":   ev.TrainSubset,
			"holdout_subset": ev.HoldoutSubset,
			"flagged":        len(ev.Flagged),
		}}
	if s.FailedChecks == nil {
		s.FailedChecks = []string{}
	}
	flagged := map[string]bool{}
	for _, id := range ev.Flagged {
		flagged[id] = true
	}
	for _, c := range final {
		cc := s.Counts.PerClass[c.row.Class]
		cc.Candidates++
		if ev.Passed && !flagged[c.row.ID] {
			cc.Approved++
		}
		s.Counts.PerClass[c.row.Class] = cc
	}
	if filt != nil {
		s.Counts.Removed = filt.Removed
		pf := &PublicFilter{MaxRounds: filt.MaxRounds, Target: filt.Target, Removed: filt.Removed, Reached: filt.Reached}
		for _, r := range filt.Rounds {
			pf.Rounds = append(pf.Rounds, FilterRound{Round: r.Round, Removed: r.Removed, Generated: r.Generated})
			for c, n := range r.Removed {
				cc := s.Counts.PerClass[c]
				cc.Removed += n
				s.Counts.PerClass[c] = cc
			}
		}
		s.Filter = pf
	}
	return s
}

// inputs records what was checked, with hashes.
type inputs struct {
	ImageSize             int    `json:"image_size"`
	Seed                  uint64 `json:"seed"`
	RealIndexSHA256       string `json:"real_index_sha256"`
	CandidatesSource      string `json:"candidates_source"`
	CandidatesIndexSHA256 string `json:"candidates_index_sha256,omitempty"`
	Candidates            int    `json:"candidates"`
	Train                 int    `json:"train_images"`
	Holdout               int    `json:"holdout_images"`
	TrainPatients         int    `json:"train_patients"`
	HoldoutPatients       int    `json:"holdout_patients"`
	PolicySource          string `json:"policy_source"`
	PolicySHA256          string `json:"policy_sha256"`
	Policy                Policy `json:"policy"`
}

// Report is privacy/report.json: everything, including per-image results naming real images.
type Report struct {
	Private     string        `json:"private"`
	Created     string        `json:"created"`
	CodeVersion string        `json:"code_version,omitempty"`
	Inputs      inputs        `json:"inputs"`
	Summary     *Summary      `json:"summary"`
	Evaluation  *Evaluation   `json:"evaluation"`
	Filter      *FilterRecord `json:"filter"`
	Seconds     float64       `json:"seconds"`
}

func writeReports(ws *workspace.Workspace, rep *Report, ev *Evaluation, final []candidate, train []Sample, maxSusp int) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode privacy report: %w", err)
	}
	if err := fsutil.WriteFile(ws.PrivacyReportPath(), append(b, '\n'), 0o600); err != nil {
		return err
	}
	h, err := renderHTML(rep, ev, final, train, maxSusp)
	if err != nil {
		return fmt.Errorf("render privacy report: %w", err)
	}
	if err := fsutil.WriteFile(ws.PrivacyHTMLPath(), h, 0o600); err != nil {
		return err
	}
	s, err := json.MarshalIndent(rep.Summary, "", "  ")
	if err != nil {
		return fmt.Errorf("encode privacy summary: %w", err)
	}
	return fsutil.WriteFile(ws.PrivacySummaryPath(), append(s, '\n'), 0o644)
}

type suspicious struct {
	ImageResult
	Synth, Real template.URL
	RealClass   string // the nearest training film's class
}

type histo struct {
	Embedding string
	PNG       template.URL
}

func renderHTML(rep *Report, ev *Evaluation, final []candidate, train []Sample, maxSusp int) ([]byte, error) {
	if maxSusp <= 0 {
		maxSusp = 24
	}
	byID := map[string]*candidate{}
	for i := range final {
		byID[final[i].row.ID] = &final[i]
	}
	trainByID := map[string]*Sample{}
	for i := range train {
		trainByID[train[i].ID] = &train[i]
	}
	size := rep.Inputs.ImageSize
	var imgs []ImageResult
	for _, im := range ev.Images {
		if byID[im.ID] != nil {
			imgs = append(imgs, im)
		}
	}
	sort.SliceStable(imgs, func(a, b int) bool {
		if (len(imgs[a].Flags) > 0) != (len(imgs[b].Flags) > 0) {
			return len(imgs[a].Flags) > 0
		}
		return imgs[a].CalibratedRatio < imgs[b].CalibratedRatio
	})
	var susp []suspicious
	for _, im := range imgs[:min(maxSusp, len(imgs))] {
		t := trainByID[im.NearestTrain]
		if t == nil {
			continue
		}
		susp = append(susp, suspicious{ImageResult: im, Synth: pngURL(byID[im.ID].img), Real: pngURL(sampleImage(t, size)), RealClass: t.Class})
	}
	var hs []histo
	names := make([]string, 0, len(ev.Distances))
	for n := range ev.Distances {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p, err := histogramPNG(n, ev.Distances[n])
		if err != nil {
			return nil, err
		}
		hs = append(hs, histo{Embedding: n, PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p))})
	}
	var buf bytes.Buffer
	var failed []Check
	for _, c := range ev.Checks {
		if !c.Passed {
			failed = append(failed, c)
		}
	}
	err := reportTmpl.Execute(&buf, map[string]any{"R": rep, "E": ev, "S": susp, "H": hs, "Failed": ev.FailedChecks(),
		"Advice": Advice(failed, len(ev.Flagged)), "Approved": rep.Summary.Counts.Approved})
	return buf.Bytes(), err
}

// sampleImage returns a sample's image as 8-bit gray.
func sampleImage(s *Sample, size int) *image.Gray {
	if s.Pixels == nil && len(s.Gray) == size*size {
		return &image.Gray{Pix: s.Gray, Stride: size, Rect: image.Rect(0, 0, size, size)}
	}
	return imageio.FromFloat(s.pixels(), size, size)
}

func pngURL(g *image.Gray) template.URL {
	b, _ := imageio.EncodePNG(g)
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

// histogramPNG draws the distributions of d1 from synthetic images and from holdout images to
// the equal-size training subset: synthetic images sitting left of the holdout ones are nearer
// to training patients than fresh patients are.
func histogramPNG(name string, d DistancePair) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Distance to the nearest training image (" + name + ")"
	p.X.Label.Text = "d1"
	p.Y.Label.Text = "density"
	p.X.Tick.Marker = chart.NiceTicks{}
	p.Y.Tick.Marker = chart.NiceTicks{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range append(slices.Clone(d.SynthToTrain), d.HoldoutToTrain...) {
		lo, hi = min(lo, v), max(hi, v)
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	add := func(vals []float64, c color.Color, label string) error {
		if len(vals) == 0 {
			return nil
		}
		const bins = 40
		xy := make(plotter.XYs, bins)
		w := (hi - lo) / bins
		for i := range xy {
			xy[i].X = lo + (float64(i)+0.5)*w
		}
		for _, v := range vals {
			k := min(int((v-lo)/w), bins-1)
			xy[k].Y++
		}
		for i := range xy {
			xy[i].Y /= float64(len(vals)) * w
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = c
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", label, len(vals)), l)
		return nil
	}
	if err := add(d.SynthToTrain, color.RGBA{R: 200, A: 255}, "synthetic → train"); err != nil {
		return nil, err
	}
	if err := add(d.HoldoutToTrain, color.RGBA{B: 200, A: 255}, "holdout → train"); err != nil {
		return nil, err
	}
	p.Legend.Top = true
	w, err := p.WriterTo(7*vg.Inch, 3.5*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var reportTmpl = template.Must(template.New("r").Funcs(template.FuncMap{
	"f": func(v float64) string { return fmt.Sprintf("%.4g", v) },
	"cls": func(s string) string {
		if s == "" {
			return "all"
		}
		return s
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>raysynth privacy report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
.private{background:#fee;border:2px solid #c00;padding:.6em 1em;font-weight:bold}
.pass{color:#070;font-weight:bold}.fail{color:#b00;font-weight:bold}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}tr.bad{background:#fff0f0}
.pair{display:inline-block;margin:6px;padding:6px;border:1px solid #ddd;vertical-align:top;font-size:12px}
.pair figure{display:inline-block;margin:0 4px;text-align:center}
.pair img{width:128px;height:128px;image-rendering:pixelated;display:block}
.pair figcaption{font-weight:bold;margin-bottom:2px}.pair figure.real figcaption{color:#b00}
.pair .dist{margin-top:4px}
</style></head><body>
<p class="private">{{.R.Private}}</p>
<h1>Privacy report: {{if .E.Passed}}<span class="pass">gate PASSED</span>{{else}}<span class="fail">gate FAILED</span>{{end}}</h1>
<p>Created {{.R.Created}}. {{.R.Inputs.Candidates}} candidates ({{.R.Inputs.CandidatesSource}}) against {{.R.Inputs.Train}} training images
({{.R.Inputs.TrainPatients}} patients) and {{.R.Inputs.Holdout}} holdout images ({{.R.Inputs.HoldoutPatients}} patients), {{.R.Inputs.ImageSize}}×{{.R.Inputs.ImageSize}};
equal-size subsets of {{.E.TrainSubset}} patients. Policy: {{.R.Inputs.PolicySource}}. Took {{f .R.Seconds}} s.</p>
{{if .Failed}}<h2>What failed</h2><ul>{{range .E.Checks}}{{if not .Passed}}<li><b>{{.ID}}</b>: value {{f .Value}} (bound {{f .Bound}}), must be {{.Rule}} {{f .Threshold}}{{if .Note}} — {{.Note}}{{end}}</li>{{end}}{{end}}</ul>
<h2>What to do next</h2><ul class="next">{{range .Advice}}<li>{{.}}</li>{{end}}</ul>
<p>Nothing was approved, bundled or published.</p>{{else}}<h2>What to do next</h2>
<p class="pass">The gate passed: {{.Approved}} image(s) approved.</p><ul class="next">{{range .Advice}}<li>{{.}}</li>{{end}}</ul>
<p>The public summary is <code>summary.json</code> beside this report (WORKSPACE/privacy/summary.json: aggregate numbers,
no image, no patient): that is what the bundle carries. This report and report.json stay in the workspace.</p>{{end}}
{{with .R.Filter}}<h2>Filtering</h2><p>{{len .Rounds}} round(s), {{.Removed}} image(s) removed, targets {{if .Reached}}reached{{else}}not reached{{end}} (round limit {{.MaxRounds}}). {{.Note}}</p>
{{if .Rounds}}<table><tr><th>round</th><th class="l">removed per class</th><th class="l">generated per class</th></tr>{{range .Rounds}}<tr><td>{{.Round}}</td><td class="l">{{.Removed}}</td><td class="l">{{.Generated}}</td></tr>{{end}}</table>{{end}}{{end}}
{{with .R.Summary.CollapseCheck}}<h2>Collapse check of the generators</h2>
<p>From <code>train gan</code>'s sample grid of each class: distinct nearest training films among the samples and how much the samples vary against the training films. Warnings do not fail the gate; they say the set may be a few films repeated.</p>
<table><tr><th class="l">class</th><th>samples</th><th>training films</th><th>distinct nearest</th><th>most common nearest</th><th>spread vs films</th><th class="l">warnings</th></tr>
{{range .}}<tr{{if .Warnings}} class="bad"{{end}}><td class="l">{{cls .Class}}</td><td>{{.Samples}}</td><td>{{.TrainFilms}}</td><td>{{.DistinctNearest}}</td><td>{{f .TopNearestShare}}</td><td>{{f .SpreadRatio}}</td><td class="l">{{range .Warnings}}<span class="fail">{{.}}</span><br>{{else}}none{{end}}</td></tr>
{{end}}</table>{{end}}
<h2>Checks</h2>
<table><tr><th class="l">embedding</th><th class="l">check</th><th class="l">class</th><th>value</th><th>bound</th><th>rule</th><th>threshold</th><th>n</th><th class="l">result</th></tr>
{{range .E.Checks}}<tr{{if not .Passed}} class="bad"{{end}}><td class="l">{{.Embedding}}</td><td class="l">{{.Name}}</td><td class="l">{{cls .Class}}</td><td>{{f .Value}}</td><td>{{f .Bound}}</td><td>{{.Rule}}</td><td>{{f .Threshold}}</td><td>{{.N}}</td><td class="l">{{if .Passed}}<span class="pass">pass</span>{{else}}<span class="fail">FAIL</span>{{end}} {{.Note}}</td></tr>
{{end}}</table>
<h2>Distances to the nearest training image</h2>
<p>Synthetic images (red) must not sit closer to training patients than holdout patients (blue) do.</p>
{{range .H}}<p><img alt="histogram {{.Embedding}}" src="{{.PNG}}"></p>{{end}}
<h2>Most suspicious synthetic images</h2>
<p>Each pair: the synthetic image (left) beside the training film nearest to it (right, a real patient). d1, d2: distances to the nearest and second-nearest training image;
ℓ: calibrated extraction ratio (≤ {{f .R.Inputs.Policy.Memorization.MaxCalibratedRatio}} flags a copy); NNDR = d1/d2.</p>
{{range .S}}<div class="pair">
<figure><figcaption>synthetic · {{cls .Class}}</figcaption><img alt="synthetic image {{.ID}}, class {{cls .Class}}" src="{{.Synth}}"></figure>
<figure class="real"><figcaption>nearest training film · {{cls .RealClass}}</figcaption><img alt="nearest training film {{.NearestTrain}}, class {{cls .RealClass}}" src="{{.Real}}"></figure>
<div class="dist">distance d1 {{f .D1}} ({{.Embedding}}) · d2 {{f .D2}} · ℓ {{f .CalibratedRatio}} · NNDR {{f .NNDR}}<br>
{{.ID}} → {{.NearestTrain}}<br>
{{if .Flags}}<span class="fail">flagged: {{range .Flags}}{{.}} {{end}}</span>{{else}}not flagged{{end}}</div></div>
{{end}}
</body></html>
`))
