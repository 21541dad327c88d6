package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

// The worked example: 10 test images of classes a, b, c.
var (
	exTruth = []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 0}
	exPred  = []int{0, 1, 0, 1, 2, 2, 2, 0, 2, 0}
)

func TestConfusionAndClassMetrics(t *testing.T) {
	res, err := EvaluatePredictions(Config{Classes: []string{"a", "b", "c"}, MinSupport: 1}, exTruth, exPred)
	if err != nil {
		t.Fatal(err)
	}
	wantConf := [][]int{{3, 1, 0}, {0, 1, 1}, {1, 0, 3}}
	for i := range wantConf {
		for j := range wantConf[i] {
			if res.Confusion[i][j] != wantConf[i][j] {
				t.Fatalf("confusion %v, want %v", res.Confusion, wantConf)
			}
		}
	}
	// By hand: class a TP 3, FN 1, FP 1, TN 5; b TP 1, FN 1, FP 1, TN 7; c like a.
	want := []struct {
		support, predicted   int
		sens, spec, prec, f1 float64
	}{
		{4, 4, 0.75, 5.0 / 6, 0.75, 0.75},
		{2, 2, 0.5, 7.0 / 8, 0.5, 0.5},
		{4, 4, 0.75, 5.0 / 6, 0.75, 0.75},
	}
	for c, w := range want {
		cr := res.PerClass[c]
		if cr.Support != w.support || cr.Predicted != w.predicted || !near(float64(cr.Sensitivity), w.sens) ||
			!near(float64(cr.Specificity), w.spec) || !near(float64(cr.Precision), w.prec) || !near(float64(cr.F1), w.f1) {
			t.Errorf("class %s: %+v, want %+v", cr.Class, cr, w)
		}
		if cr.AUC.Defined() || !strings.Contains(cr.Undefined, "AUC needs scores") {
			t.Errorf("class %s: AUC %v without scores (%q)", cr.Class, cr.AUC, cr.Undefined)
		}
	}
	if !near(float64(res.Accuracy), 0.7) || !near(float64(res.BalancedAccuracy), 2.0/3) || !near(float64(res.MacroF1), 2.0/3) {
		t.Errorf("accuracy %v, balanced %v, macro-F1 %v", res.Accuracy, res.BalancedAccuracy, res.MacroF1)
	}
	if len(res.Excluded) != 0 {
		t.Errorf("excluded %v", res.Excluded)
	}
}

// A class with too few test images is marked, not hidden, and left out of the averages.
func TestTooFewImagesAreMarked(t *testing.T) {
	res, err := EvaluatePredictions(Config{Classes: []string{"a", "b", "c"}, MinSupport: 3}, exTruth, exPred)
	if err != nil {
		t.Fatal(err)
	}
	b := res.PerClass[1]
	if b.Sensitivity.Defined() || b.F1.Defined() || b.Precision.Defined() || b.Class != "b" || b.Support != 2 {
		t.Errorf("class b should be marked undefined: %+v", b)
	}
	if !strings.Contains(b.Undefined, "only 2 test images of this class (fewer than 3)") {
		t.Errorf("reason %q", b.Undefined)
	}
	if !near(float64(b.Specificity), 7.0/8) {
		t.Errorf("specificity %v should stay defined (8 other images)", b.Specificity)
	}
	if len(res.Excluded) != 1 || res.Excluded[0] != "b" || !near(float64(res.BalancedAccuracy), 0.75) || !near(float64(res.MacroF1), 0.75) {
		t.Errorf("excluded %v, balanced %v, macro-F1 %v", res.Excluded, res.BalancedAccuracy, res.MacroF1)
	}
	// JSON keeps the class, with nulls.
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"class":"b","support":2,"predicted":2,"sensitivity":null`) {
		t.Errorf("JSON: %s", js)
	}
	// Default minimum support (5) marks every class of this tiny set; accuracy stays.
	res, _ = EvaluatePredictions(Config{Classes: []string{"a", "b", "c"}}, exTruth, exPred)
	if res.BalancedAccuracy.Defined() || len(res.Excluded) != 3 || !near(float64(res.Accuracy), 0.7) {
		t.Errorf("default support: %+v", res)
	}
}

func TestNeverPredictedClass(t *testing.T) {
	truth := []int{0, 0, 0, 1, 1, 1}
	pred := []int{0, 0, 0, 0, 0, 0}
	res, err := EvaluatePredictions(Config{Classes: []string{"x", "y"}, MinSupport: 1}, truth, pred)
	if err != nil {
		t.Fatal(err)
	}
	y := res.PerClass[1]
	if y.Precision.Defined() || !near(float64(y.F1), 0) || !near(float64(y.Sensitivity), 0) || !strings.Contains(y.Undefined, "never predicted") {
		t.Errorf("%+v", y)
	}
}

func bruteAUC(scores []float64, pos []bool) float64 {
	var s float64
	var np, nn int
	for i := range scores {
		if !pos[i] {
			continue
		}
		np++
		for j := range scores {
			if pos[j] {
				continue
			}
			switch {
			case scores[i] > scores[j]:
				s++
			case scores[i] == scores[j]:
				s += 0.5
			}
		}
	}
	for _, p := range pos {
		if !p {
			nn++
		}
	}
	return s / float64(np*nn)
}

func TestAUC(t *testing.T) {
	T, F := true, false
	for _, tc := range []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		// Pairs by hand: positive 0.4 beats 0.1 and 0.35 and ties 0.4 (2.5); 0.8 beats all (3);
		// the other 0.4 gives 2.5 again: 8 of 9.
		{"ties", []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.4}, []bool{F, T, F, T, F, T}, 8.0 / 9},
		{"all tied", []float64{1, 1, 1, 1}, []bool{T, F, T, F}, 0.5},
		{"perfect", []float64{0.9, 0.1, 0.8, 0.2}, []bool{T, F, T, F}, 1},
		{"reversed", []float64{0.1, 0.9, 0.2, 0.8}, []bool{T, F, T, F}, 0},
		{"one pair tied", []float64{0.5, 0.5, 0.9}, []bool{T, F, T}, 0.75},
		{"no positives", []float64{0.1, 0.2}, []bool{F, F}, math.NaN()},
		{"no negatives", []float64{0.1, 0.2}, []bool{T, T}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AUC(tc.scores, tc.pos)
			if math.IsNaN(tc.want) {
				if !math.IsNaN(got) {
					t.Errorf("got %g, want NaN", got)
				}
				return
			}
			if !near(got, tc.want) {
				t.Errorf("got %g, want %g", got, tc.want)
			}
		})
	}
	// Many ties on random coarse scores: midranks equal the pair count.
	r := rand.New(rand.NewPCG(3, 4))
	scores := make([]float64, 500)
	pos := make([]bool, 500)
	for i := range scores {
		pos[i] = r.IntN(3) == 0
		scores[i] = float64(r.IntN(7))
		if pos[i] {
			scores[i] += float64(r.IntN(3))
		}
	}
	if got, want := AUC(scores, pos), bruteAUC(scores, pos); !near(got, want) {
		t.Errorf("random ties: midrank AUC %g, pair count %g", got, want)
	}
}

func TestEvaluateWithScores(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, k := 120, 3
	truth := make([]int, n)
	scores := make([][]float64, n)
	for i := range truth {
		truth[i] = i % k
		scores[i] = make([]float64, k)
		for c := range scores[i] {
			scores[i][c] = math.Round(r.Float64()*10) / 10 // coarse: ties
		}
		scores[i][truth[i]] += 0.3
	}
	res, err := Evaluate(Config{Classes: []string{"n", "b", "v"}}, truth, scores)
	if err != nil {
		t.Fatal(err)
	}
	pred := Argmax(scores)
	correct := 0
	for c := 0; c < k; c++ {
		col := make([]float64, n)
		pos := make([]bool, n)
		for i := range truth {
			col[i], pos[i] = scores[i][c], truth[i] == c
		}
		if got, want := float64(res.PerClass[c].AUC), bruteAUC(col, pos); !near(got, want) {
			t.Errorf("class %d AUC %g, want %g", c, got, want)
		}
	}
	for i := range truth {
		if pred[i] == truth[i] {
			correct++
		}
	}
	if !near(float64(res.Accuracy), float64(correct)/float64(n)) {
		t.Errorf("accuracy %v, want %d/%d", res.Accuracy, correct, n)
	}
}

func TestArgmaxTiesTakeFirst(t *testing.T) {
	got := Argmax([][]float64{{0.2, 0.5, 0.5}, {1, 1, 0}, {0, 0, 3}})
	if got[0] != 1 || got[1] != 0 || got[2] != 2 {
		t.Errorf("got %v", got)
	}
}

func TestEvaluateBadInput(t *testing.T) {
	cfg := Config{Classes: []string{"a", "b"}}
	for _, tc := range []struct {
		name string
		f    func() error
	}{
		{"one class", func() error {
			_, err := EvaluatePredictions(Config{Classes: []string{"a"}}, []int{0}, []int{0})
			return err
		}},
		{"duplicate class", func() error {
			_, err := EvaluatePredictions(Config{Classes: []string{"a", "a"}}, []int{0}, []int{0})
			return err
		}},
		{"length mismatch", func() error { _, err := EvaluatePredictions(cfg, []int{0, 1}, []int{0}); return err }},
		{"label out of range", func() error { _, err := EvaluatePredictions(cfg, []int{2}, []int{0}); return err }},
		{"prediction out of range", func() error { _, err := EvaluatePredictions(cfg, []int{0}, []int{-1}); return err }},
		{"no images", func() error { _, err := EvaluatePredictions(cfg, nil, nil); return err }},
		{"short score row", func() error { _, err := Evaluate(cfg, []int{0}, [][]float64{{1}}); return err }},
		{"NaN score", func() error { _, err := Evaluate(cfg, []int{0}, [][]float64{{math.NaN(), 1}}); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.f() == nil {
				t.Error("no error")
			}
		})
	}
}

func TestMetricJSON(t *testing.T) {
	b, err := json.Marshal([]Metric{0.25, NaN})
	if err != nil || string(b) != "[0.25,null]" {
		t.Fatalf("%s, %v", b, err)
	}
	var back []Metric
	if err := json.Unmarshal(b, &back); err != nil || back[0] != 0.25 || back[1].Defined() {
		t.Fatalf("%v, %v", back, err)
	}
	if NaN.Format(2) != "n/a" || Metric(0.125).Format(2) != "0.12" && Metric(0.125).Format(2) != "0.13" {
		t.Errorf("format %q %q", NaN.Format(2), Metric(0.125).Format(2))
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{0.7, 0.8, 0.9})
	if !near(float64(s.Mean), 0.8) || !near(float64(s.SD), 0.1) || s.N != 3 || s.Of != 3 || s.String() != "0.800 ± 0.100" {
		t.Errorf("%+v %q", s, s)
	}
	s = Summarize([]float64{0.5, math.NaN()})
	if !near(float64(s.Mean), 0.5) || s.SD.Defined() || s.N != 1 || s.Of != 2 || s.String() != "0.500 (1 of 2 repeats)" {
		t.Errorf("%+v %q", s, s)
	}
	s = Summarize([]float64{math.NaN()})
	if s.Mean.Defined() || s.String() != "n/a" {
		t.Errorf("%+v %q", s, s)
	}
}
