package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Metric is a number that may be undefined. Undefined is NaN, which JSON encodes as null.
type Metric float64

// NaN is the undefined metric.
var NaN = Metric(math.NaN())

// Defined reports whether m has a value.
func (m Metric) Defined() bool { return !math.IsNaN(float64(m)) }

// MarshalJSON writes the number, or null when undefined.
func (m Metric) MarshalJSON() ([]byte, error) {
	if !m.Defined() {
		return []byte("null"), nil
	}
	if math.IsInf(float64(m), 0) {
		return nil, fmt.Errorf("metric %v is infinite", float64(m))
	}
	return strconv.AppendFloat(nil, float64(m), 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as undefined.
func (m *Metric) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = NaN
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("metric %q: %w", b, err)
	}
	*m = Metric(v)
	return nil
}

// Format writes the value with the given decimals, or "n/a" when undefined.
func (m Metric) Format(decimals int) string {
	if !m.Defined() {
		return "n/a"
	}
	return strconv.FormatFloat(float64(m), 'f', decimals, 64)
}

// DefaultMinSupport is the fewest test images of a class (and of the other classes) for its
// metrics to be reported.
const DefaultMinSupport = 5

// Config names the classes and sets how many test images a metric needs.
type Config struct {
	Classes []string // class names; labels are indices into this list; at least 2
	// MinSupport is the fewest test images of a class for its sensitivity, precision, F1 and AUC,
	// and the fewest of the other classes for its specificity and AUC; 0 means DefaultMinSupport.
	MinSupport int
}

// Validate reports fewer than two classes, duplicate or empty names or a negative MinSupport.
func (c Config) Validate() error {
	if len(c.Classes) < 2 {
		return fmt.Errorf("%d classes; need at least 2", len(c.Classes))
	}
	for i, n := range c.Classes {
		if n == "" {
			return fmt.Errorf("class %d has no name", i)
		}
		if slices.Index(c.Classes, n) != i {
			return fmt.Errorf("class %q named twice", n)
		}
	}
	if c.MinSupport < 0 {
		return fmt.Errorf("minimum support %d is negative", c.MinSupport)
	}
	return nil
}

func (c Config) minSupport() int {
	if c.MinSupport == 0 {
		return DefaultMinSupport
	}
	return c.MinSupport
}

// ClassResult holds one class's metrics, one-vs-rest.
type ClassResult struct {
	Class       string `json:"class"`
	Support     int    `json:"support"`   // test images of this class
	Predicted   int    `json:"predicted"` // test images predicted as this class
	Sensitivity Metric `json:"sensitivity"`
	Specificity Metric `json:"specificity"`
	Precision   Metric `json:"precision"`
	F1          Metric `json:"f1"`
	AUC         Metric `json:"auc"`
	// Undefined says why some of the metrics are undefined; empty when all are defined.
	Undefined string `json:"undefined,omitempty"`
}

// Result is a classifier's performance on one test set.
type Result struct {
	Classes []string `json:"classes"`
	N       int      `json:"n"`
	// Confusion[t][p] counts test images of true class t predicted as class p.
	Confusion        [][]int       `json:"confusion"`
	PerClass         []ClassResult `json:"per_class"`
	Accuracy         Metric        `json:"accuracy"`
	BalancedAccuracy Metric        `json:"balanced_accuracy"` // mean sensitivity over Included classes
	MacroF1          Metric        `json:"macro_f1"`          // mean F1 over Included classes
	// Excluded lists the classes left out of balanced accuracy and macro-F1 because their
	// sensitivity is undefined.
	Excluded []string `json:"excluded,omitempty"`
}

// Argmax returns, for each row of scores, the index of the largest score (the first on ties).
func Argmax(scores [][]float64) []int {
	pred := make([]int, len(scores))
	for i, row := range scores {
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		pred[i] = best
	}
	return pred
}

// ConfusionMatrix counts, for k classes, test images of true class t predicted as p in m[t][p].
func ConfusionMatrix(k int, truth, pred []int) ([][]int, error) {
	if len(truth) != len(pred) {
		return nil, fmt.Errorf("%d labels but %d predictions", len(truth), len(pred))
	}
	m := make([][]int, k)
	for i := range m {
		m[i] = make([]int, k)
	}
	for i, t := range truth {
		p := pred[i]
		if t < 0 || t >= k {
			return nil, fmt.Errorf("test image %d: label %d outside [0, %d)", i, t, k)
		}
		if p < 0 || p >= k {
			return nil, fmt.Errorf("test image %d: prediction %d outside [0, %d)", i, p, k)
		}
		m[t][p]++
	}
	return m, nil
}

// Evaluate scores a classifier on a test set: truth holds each image's class index, scores its
// per-class scores (probabilities or logits, one row per image, one column per class). The
// prediction is the top-scoring class.
func Evaluate(cfg Config, truth []int, scores [][]float64) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	k := len(cfg.Classes)
	if len(scores) != len(truth) {
		return Result{}, fmt.Errorf("%d labels but %d score rows", len(truth), len(scores))
	}
	for i, row := range scores {
		if len(row) != k {
			return Result{}, fmt.Errorf("test image %d: %d scores for %d classes", i, len(row), k)
		}
		for _, v := range row {
			if math.IsNaN(v) {
				return Result{}, fmt.Errorf("test image %d: score is NaN", i)
			}
		}
	}
	res, err := fromPredictions(cfg, truth, Argmax(scores))
	if err != nil {
		return Result{}, err
	}
	minSup := cfg.minSupport()
	col := make([]float64, len(truth))
	pos := make([]bool, len(truth))
	for c := range res.PerClass {
		cr := &res.PerClass[c]
		if cr.Support < minSup || res.N-cr.Support < minSup {
			continue
		}
		for i := range truth {
			col[i], pos[i] = scores[i][c], truth[i] == c
		}
		cr.AUC = Metric(AUC(col, pos))
	}
	return res, nil
}

// EvaluatePredictions is [Evaluate] for hard predictions only; AUC is undefined.
func EvaluatePredictions(cfg Config, truth, pred []int) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	res, err := fromPredictions(cfg, truth, pred)
	for c := range res.PerClass {
		res.PerClass[c].Undefined = joinReason(res.PerClass[c].Undefined, "AUC needs scores")
	}
	return res, err
}

func fromPredictions(cfg Config, truth, pred []int) (Result, error) {
	k := len(cfg.Classes)
	conf, err := ConfusionMatrix(k, truth, pred)
	if err != nil {
		return Result{}, err
	}
	res := Result{Classes: slices.Clone(cfg.Classes), N: len(truth), Confusion: conf, PerClass: make([]ClassResult, k),
		Accuracy: NaN, BalancedAccuracy: NaN, MacroF1: NaN}
	if res.N == 0 {
		return Result{}, errors.New("no test images")
	}
	minSup := cfg.minSupport()
	correct := 0
	var sensSum, f1Sum float64
	included := 0
	for c := 0; c < k; c++ {
		correct += conf[c][c]
		cr := classMetrics(conf, c, minSup)
		cr.Class = cfg.Classes[c]
		res.PerClass[c] = cr
		if cr.Sensitivity.Defined() {
			sensSum += float64(cr.Sensitivity)
			f1Sum += float64(cr.F1)
			included++
		} else {
			res.Excluded = append(res.Excluded, cr.Class)
		}
	}
	res.Accuracy = Metric(float64(correct) / float64(res.N))
	if included > 0 {
		res.BalancedAccuracy = Metric(sensSum / float64(included))
		res.MacroF1 = Metric(f1Sum / float64(included))
	}
	return res, nil
}

// classMetrics computes class c's one-vs-rest metrics from a confusion matrix; AUC is left NaN.
func classMetrics(conf [][]int, c, minSup int) ClassResult {
	var n, support, predicted int
	for t := range conf {
		for p, v := range conf[t] {
			n += v
			if t == c {
				support += v
			}
			if p == c {
				predicted += v
			}
		}
	}
	tp := conf[c][c]
	fn, fp := support-tp, predicted-tp
	tn := n - support - predicted + tp
	cr := ClassResult{Support: support, Predicted: predicted, Sensitivity: NaN, Specificity: NaN, Precision: NaN, F1: NaN, AUC: NaN}
	var why string
	if support >= minSup {
		cr.Sensitivity = Metric(float64(tp) / float64(support))
		cr.F1 = Metric(2 * float64(tp) / float64(2*tp+fp+fn))
		if predicted > 0 {
			cr.Precision = Metric(float64(tp) / float64(predicted))
		} else {
			why = joinReason(why, "never predicted: precision undefined")
		}
	} else {
		why = joinReason(why, fmt.Sprintf("only %d test images of this class (fewer than %d)", support, minSup))
	}
	if neg := n - support; neg >= minSup {
		cr.Specificity = Metric(float64(tn) / float64(neg))
	} else {
		why = joinReason(why, fmt.Sprintf("only %d test images of other classes (fewer than %d)", neg, minSup))
	}
	cr.Undefined = why
	return cr
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// AUC returns the area under the ROC curve of scores for telling positive from negative items:
// the Mann–Whitney U statistic over (positives × negatives), with midranks so that a tied pair
// counts one half. It is NaN without positives or without negatives.
func AUC(scores []float64, positive []bool) float64 {
	n := len(scores)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(scores[a], scores[b]) })
	var rankSumPos float64
	var nPos int
	for i := 0; i < n; {
		j := i
		for j < n && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+1+j) / 2 // ranks i+1 … j share their mean
		for _, t := range idx[i:j] {
			if positive[t] {
				rankSumPos += mid
				nPos++
			}
		}
		i = j
	}
	nNeg := n - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	u := rankSumPos - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
