package nn

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// Targets are the class labels of a batch for [SoftmaxCrossEntropy]. The caller fills Labels
// before each run; Weights (one per class) may be nil for an unweighted loss. Last is the loss of
// the latest run.
type Targets struct {
	Labels  []int
	Weights []float32
	Last    float32
}

// SoftmaxCrossEntropy is the class-weighted mean cross-entropy of softmax(logits) (B,K) against
// the labels in t: Σᵢ w[yᵢ]·(−log softmax(logitsᵢ)[yᵢ]) / Σᵢ w[yᵢ] (PyTorch's weighted mean), computed
// with the log-sum-exp trick.
func SoftmaxCrossEntropy(logits *Node, t *Targets) (*Node, error) {
	s := logits.Shape()
	if len(s) != 2 || s[1] < 2 {
		return nil, fmt.Errorf("nn: softmax cross-entropy on shape %v, want (batch, classes ≥ 2)", s)
	}
	if t == nil || len(t.Labels) != s[0] {
		return nil, fmt.Errorf("nn: softmax cross-entropy needs %d labels", s[0])
	}
	if t.Weights != nil && len(t.Weights) != s[1] {
		return nil, fmt.Errorf("nn: %d class weights for %d classes", len(t.Weights), s[1])
	}
	return apply(&xentOp{base: newBase("softmaxXent"), b: s[0], k: s[1], t: t}, logits)
}

type xentOp struct {
	base
	b, k int
	t    *Targets
}

func (op *xentOp) weight(c int) float64 {
	if op.t.Weights == nil {
		return 1
	}
	return float64(op.t.Weights[c])
}

// logSoftmax writes log softmax(row) into out (float64).
func logSoftmax(row []float32, out []float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(s)
	for j, v := range row {
		out[j] = float64(v) - lse
	}
}

func (op *xentOp) check() error {
	for i, y := range op.t.Labels {
		if y < 0 || y >= op.k {
			return fmt.Errorf("nn: label %d of sample %d outside [0, %d)", y, i, op.k)
		}
	}
	return nil
}

func (op *xentOp) Arity() int         { return 1 }
func (op *xentOp) Type() hm.Type      { return hm.NewFnType(tt(2), hm.TypeVariable('a')) }
func (op *xentOp) DiffWRT(int) []bool { return []bool{true} }
func (op *xentOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := op.check(); err != nil {
		return nil, err
	}
	l := f32s(in[0])
	ls := make([]float64, op.k)
	var num, den float64
	for i, y := range op.t.Labels {
		logSoftmax(l[i*op.k:(i+1)*op.k], ls)
		w := op.weight(y)
		num -= w * ls[y]
		den += w
	}
	if den <= 0 {
		return nil, fmt.Errorf("nn: class weights of the batch sum to %g", den)
	}
	op.t.Last = float32(num / den)
	return gorgonia.NewF32(op.t.Last), nil
}
func (op *xentOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &xentGradOp{base: newBase("softmaxXentGrad", op.b, op.k), fwd: op}
	dl, err := apply(g, in[0], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dl}, nil
}

// xentGradOp recomputes the softmax from the logits (it may run before the loss itself):
// d/dlogitsᵢ = g·w[yᵢ]·(softmaxᵢ − onehot(yᵢ)) / Σ w[y].
type xentGradOp struct {
	base
	fwd *xentOp
}

func (op *xentGradOp) Arity() int    { return 2 }
func (op *xentGradOp) Type() hm.Type { return hm.NewFnType(tt(2), hm.TypeVariable('a'), tt(2)) }
func (op *xentGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd
	if err := f.check(); err != nil {
		return nil, err
	}
	l, g, dl := f32s(in[0]), float64(scalarOf(in[1])), op.data()
	var den float64
	for _, y := range f.t.Labels {
		den += f.weight(y)
	}
	if den <= 0 {
		return nil, fmt.Errorf("nn: class weights of the batch sum to %g", den)
	}
	ls := make([]float64, f.k)
	for i, y := range f.t.Labels {
		logSoftmax(l[i*f.k:(i+1)*f.k], ls)
		s := g * f.weight(y) / den
		for j, v := range ls {
			p := math.Exp(v)
			if j == y {
				p--
			}
			dl[i*f.k+j] = float32(s * p)
		}
	}
	return op.value(), nil
}

// Softmax returns the softmax of each row of k logits, in float64.
func Softmax(logits []float32, k int) [][]float64 {
	n := len(logits) / k
	out := make([][]float64, n)
	for i := range out {
		row := make([]float64, k)
		logSoftmax(logits[i*k:(i+1)*k], row)
		for j, v := range row {
			row[j] = math.Exp(v)
		}
		out[i] = row
	}
	return out
}
