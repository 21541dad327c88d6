package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/raysynth/raysynth/internal/nn"
)

// ClassifierArch is the classifier's shape: Blocks convolution–BatchNorm–ReLU–max-pool blocks
// (3×3 convolutions, Width channels in the first block, doubling up to 128), then a dense layer of
// Hidden units with ReLU (the embedding), dropout, and a dense layer to one logit per class.
type ClassifierArch struct {
	Size    int     `json:"size"`
	Classes int     `json:"classes"`
	Blocks  int     `json:"blocks"`
	Width   int     `json:"width"`
	Hidden  int     `json:"hidden"`
	Dropout float64 `json:"dropout"`
}

// DefaultClassifierArch returns the architecture for an image size and class count: pooling
// blocks until the feature map is at most 7×7 (4 blocks at 64×64, 3 at 32×32), width 16, a
// 128-dimensional embedding and dropout 0.5.
func DefaultClassifierArch(size, classes int) ClassifierArch {
	blocks := 0
	for s := size; s >= 8 && blocks < 5; s /= 2 {
		blocks++
	}
	return ClassifierArch{Size: size, Classes: classes, Blocks: blocks, Width: 16, Hidden: 128, Dropout: 0.5}
}

// Validate checks the architecture.
func (a ClassifierArch) Validate() error {
	if a.Size < 16 || a.Size > 1024 {
		return fmt.Errorf("image size %d: want 16 to 1024 (e.g. 64)", a.Size)
	}
	if a.Classes < 2 {
		return fmt.Errorf("%d classes: a classifier needs at least 2", a.Classes)
	}
	if a.Blocks < 1 || a.Size>>a.Blocks < 1 {
		return fmt.Errorf("%d pooling blocks do not fit a %d×%d image", a.Blocks, a.Size, a.Size)
	}
	if a.Width < 1 || a.Hidden < 1 {
		return fmt.Errorf("width %d and hidden units %d must be positive", a.Width, a.Hidden)
	}
	if !(a.Dropout >= 0 && a.Dropout < 1) {
		return fmt.Errorf("dropout %g outside [0, 1)", a.Dropout)
	}
	return nil
}

func (a ClassifierArch) channels(i int) int { return min(a.Width<<i, 128) }

// finalSide is the side of the last pooled feature map.
func (a ClassifierArch) finalSide() int { return a.Size >> a.Blocks }

// cnn holds the classifier's parameters and BatchNorm statistics.
type cnn struct {
	arch    ClassifierArch
	prec    Precision      // of the matrix products in the graphs built from the model
	conv    []*nn.Param    // (3·3·Cin, Cout)
	bn      [][2]*nn.Param // gamma, beta per block
	bnStats []*nn.BNStats
	fc1     *nn.Param // (side·side·C, Hidden)
	fc1b    *nn.Param
	fc2     *nn.Param // (Hidden, Classes)
	fc2b    *nn.Param
}

// newCNN initialises the classifier: He-normal convolution and hidden weights (ReLU follows
// them), N(0, 1/Hidden) output weights, BatchNorm scale 1 and shift 0, biases 0.
func newCNN(a ClassifierArch, rng *rand.Rand) *cnn {
	m := &cnn{arch: a}
	normal := func(p *nn.Param, std float64) *nn.Param {
		for i := range p.Data {
			p.Data[i] = float32(std * rng.NormFloat64())
		}
		return p
	}
	in := 1
	for i := 0; i < a.Blocks; i++ {
		out := a.channels(i)
		m.conv = append(m.conv, normal(nn.NewParam(fmt.Sprintf("c.conv%d", i+1), 9*in, out), math.Sqrt(2/float64(9*in))))
		gamma := nn.NewParam(fmt.Sprintf("c.bn%d.gamma", i+1), 1, 1, 1, out)
		for j := range gamma.Data {
			gamma.Data[j] = 1
		}
		m.bn = append(m.bn, [2]*nn.Param{gamma, nn.NewParam(fmt.Sprintf("c.bn%d.beta", i+1), 1, 1, 1, out)})
		m.bnStats = append(m.bnStats, nn.NewBNStats(out))
		in = out
	}
	flat := a.finalSide() * a.finalSide() * in
	m.fc1 = normal(nn.NewParam("c.fc1", flat, a.Hidden), math.Sqrt(2/float64(flat)))
	m.fc1b = nn.NewParam("c.fc1.bias", 1, 1, 1, a.Hidden)
	m.fc2 = normal(nn.NewParam("c.fc2", a.Hidden, a.Classes), math.Sqrt(1/float64(a.Hidden)))
	m.fc2b = nn.NewParam("c.fc2.bias", 1, 1, 1, a.Classes)
	return m
}

// params lists the learnable tensors in a fixed order (optimiser and checkpoints).
func (m *cnn) params() []*nn.Param {
	ps := append([]*nn.Param{}, m.conv...)
	for _, p := range m.bn {
		ps = append(ps, p[0], p[1])
	}
	return append(ps, m.fc1, m.fc1b, m.fc2, m.fc2b)
}

// forward adds the network on images x (B, Size, Size, 1): the embedding (B, Hidden) and the
// logits (B, Classes). With drop non-nil (training) dropout follows the embedding.
func (m *cnn) forward(g *nn.Graph, x *nn.Node, mode nn.BNMode, drop *nn.DropoutSeed) (emb, logits *nn.Node, err error) {
	h := x
	for i := range m.conv {
		if h, err = nn.Conv2D(h, g.Param(m.conv[i]), 3, 1, 1, i > 0); err != nil {
			return nil, nil, err
		}
		if h, err = nn.BatchNormAct(h, g.Param(m.bn[i][0]), g.Param(m.bn[i][1]), m.bnStats[i], mode, 1, 0); err != nil {
			return nil, nil, err
		}
		if h, err = nn.MaxPool2D(h, 2); err != nil {
			return nil, nil, err
		}
	}
	if h, err = nn.Dense(h, g.Param(m.fc1), []int{m.arch.Hidden}, true); err != nil {
		return nil, nil, err
	}
	if emb, err = nn.BiasLeakyReLU(h, g.Param(m.fc1b), 0); err != nil {
		return nil, nil, err
	}
	h = emb
	if drop != nil && m.arch.Dropout > 0 {
		if h, err = nn.Dropout(h, m.arch.Dropout, drop); err != nil {
			return nil, nil, err
		}
	}
	if h, err = nn.Dense(h, g.Param(m.fc2), []int{m.arch.Classes}, true); err != nil {
		return nil, nil, err
	}
	if logits, err = nn.BiasAdd(h, g.Param(m.fc2b)); err != nil {
		return nil, nil, err
	}
	return emb, logits, nil
}

// trainNet is the compiled training step of one batch size.
type trainNet struct {
	m       *cnn
	batch   int
	x       []float32
	targets *nn.Targets
	drop    *nn.DropoutSeed
	loss    *nn.Node
	grads   []*nn.Node
	mach    *nn.Machine
	opt     *nn.Adam
	gradBuf [][]float32
}

func newTrainNet(m *cnn, batch int, lr float64) (*trainNet, error) {
	t := &trainNet{m: m, batch: batch, targets: &nn.Targets{Labels: make([]int, batch)}, drop: &nn.DropoutSeed{}}
	g := nn.NewGraph()
	g.SetPrecision(m.prec)
	var x *nn.Node
	s := m.arch.Size
	x, t.x = g.Input("x", batch, s, s, 1)
	_, logits, err := m.forward(g, x, nn.BNTrain, t.drop)
	if err != nil {
		return nil, err
	}
	if t.loss, err = nn.SoftmaxCrossEntropy(logits, t.targets); err != nil {
		return nil, err
	}
	ps := m.params()
	wrt := make([]*nn.Node, len(ps))
	for i, p := range ps {
		wrt[i] = g.Param(p)
	}
	if t.grads, err = nn.Grad(t.loss, wrt...); err != nil {
		return nil, err
	}
	if t.mach, err = g.Compile(append([]*nn.Node{t.loss}, t.grads...)...); err != nil {
		return nil, err
	}
	t.opt = nn.NewAdam(lr, 0.9, sizes(ps))
	t.gradBuf = make([][]float32, len(ps))
	return t, nil
}

// step runs one update on the batch already in t.x and t.targets and returns the loss.
func (t *trainNet) step(dropSeed uint64) (float32, error) {
	t.drop.Seed = dropSeed
	if err := t.mach.Run(); err != nil {
		return 0, err
	}
	for i, gn := range t.grads {
		t.gradBuf[i] = nn.Value(gn)
	}
	t.opt.Update(t.m.params(), t.gradBuf)
	return t.targets.Last, nil
}

func (t *trainNet) close() { t.mach.Close() }

// evalNet runs the network in eval mode (running BatchNorm statistics, no dropout) on batches of
// a fixed size; a short last batch is padded, which does not change the other samples' outputs.
type evalNet struct {
	batch       int
	pix         int
	x           []float32
	emb, logits *nn.Node
	mach        *nn.Machine
}

func newEvalNet(m *cnn, batch int) (*evalNet, error) {
	e := &evalNet{batch: batch, pix: m.arch.Size * m.arch.Size}
	g := nn.NewGraph()
	g.SetPrecision(m.prec)
	s := m.arch.Size
	x, xd := g.Input("x", batch, s, s, 1)
	e.x = xd
	var err error
	if e.emb, e.logits, err = m.forward(g, x, nn.BNEval, nil); err != nil {
		return nil, err
	}
	if e.mach, err = g.Compile(e.emb, e.logits); err != nil {
		return nil, err
	}
	return e, nil
}

// run fills the batch from images (at most batch of them) and returns copies of the embeddings
// and logits of those images.
func (e *evalNet) run(images [][]float32) (emb, logits [][]float32, err error) {
	for i := 0; i < e.batch; i++ {
		dst := e.x[i*e.pix : (i+1)*e.pix]
		if i < len(images) {
			if len(images[i]) != e.pix {
				return nil, nil, fmt.Errorf("image %d has %d pixels, the classifier takes %d", i, len(images[i]), e.pix)
			}
			copy(dst, images[i])
		} else {
			clear(dst)
		}
	}
	if err := e.mach.Run(); err != nil {
		return nil, nil, err
	}
	ev, lv := nn.Value(e.emb), nn.Value(e.logits)
	h, k := len(ev)/e.batch, len(lv)/e.batch
	for i := range images {
		emb = append(emb, append([]float32(nil), ev[i*h:(i+1)*h]...))
		logits = append(logits, append([]float32(nil), lv[i*k:(i+1)*k]...))
	}
	return emb, logits, nil
}

func (e *evalNet) close() { e.mach.Close() }
