package train

import (
	"fmt"

	"github.com/raysynth/raysynth/internal/nn"
)

// GradHook may transform the discriminator's gradients before the optimiser applies them. It is
// where differentially private training (per-patient clipping and noise) plugs in.
type GradHook func(params []*nn.Param, grads [][]float32) error

// stepper runs DCGAN training steps on one batch size: three compiled graphs sharing the weights.
type stepper struct {
	m     *dcgan
	batch int
	pix   int // Size·Size

	fakeG   *nn.Graph // the generator, then (finish) the generator step built on it
	fakeZ   []float32 // generator forward (batch statistics, updates running statistics)
	fakeOut *nn.Node
	fakeM   *nn.Machine

	dX     []float32 // discriminator step on real | fake
	dLoss  *nn.Node
	dGrads []*nn.Node
	dM     *nn.Machine

	gLoss  *nn.Node // generator step: D(G(z)) judged as real, on fakeM's generator activations
	gGrads []*nn.Node
	gM     *nn.Machine

	// DiffAugment before D (recipe.Augment): one handle per graph that feeds images to D,
	// filled by augment before every run.
	recipe     Recipe
	dAug, gAug *nn.Augmentation
	augment    func([]nn.AugParams)

	optD, optG *nn.Adam
	dHook      GradHook
	gradBufD   [][]float32
	gradBufG   [][]float32
}

func newStepper(m *dcgan, batch int, lr, beta1 float64, recipe Recipe) (*stepper, error) {
	s := &stepper{m: m, batch: batch, pix: m.arch.Size * m.arch.Size, recipe: recipe}
	size := m.arch.Size
	var err error

	if err = s.buildFake(); err != nil {
		return nil, err
	}
	g := m.newGraph()
	var x *nn.Node
	x, s.dX = g.Input("x", 2*batch, size, size, 1)
	if x, s.dAug, err = s.augmentNode(x); err != nil {
		return nil, err
	}
	logits, err := m.disc(g, x, nn.BNTrain, 2, false)
	if err != nil {
		return nil, err
	}
	if s.dLoss, err = nn.GANLoss(logits, batch); err != nil {
		return nil, err
	}
	if err = s.finish(g, lr, beta1); err != nil {
		return nil, err
	}
	return s, nil
}

// augmentNode puts DiffAugment in front of x when the recipe asks for it (nil handle otherwise).
func (s *stepper) augmentNode(x *nn.Node) (*nn.Node, *nn.Augmentation, error) {
	if !s.recipe.Augment {
		return x, nil, nil
	}
	return nn.DiffAugment(x)
}

// draw fills an augmentation handle's parameters for the next run (identity without a drawer).
func (s *stepper) draw(a *nn.Augmentation) {
	if a == nil {
		return
	}
	if s.augment == nil {
		a.Reset()
		return
	}
	s.augment(a.Params)
}

// buildFake compiles the generator graph that makes the batch of fake images (train-mode BN).
func (s *stepper) buildFake() error {
	g := s.m.newGraph()
	s.fakeG = g
	var z *nn.Node
	z, s.fakeZ = g.Input("z", s.batch, ZDim)
	var err error
	if s.fakeOut, err = s.m.gen(g, z, nn.BNTrain); err != nil {
		return err
	}
	s.fakeM, err = g.Compile(s.fakeOut)
	return err
}

// finish completes a stepper whose D loss (s.dLoss) is built in graph dg: it compiles D's loss
// and weight gradients, builds and compiles the G step (D frozen), and makes both optimizers.
// The plain and the DP stepper share it; they differ only in how the D loss is built.
func (s *stepper) finish(dg *nn.Graph, lr, beta1 float64) error {
	m := s.m
	dp := m.dParams()
	var wrt []*nn.Node
	for _, p := range dp {
		wrt = append(wrt, dg.Param(p))
	}
	var err error
	if s.dGrads, err = nn.Grad(s.dLoss, wrt...); err != nil {
		return err
	}
	if s.dM, err = dg.Compile(append([]*nn.Node{s.dLoss}, s.dGrads...)...); err != nil {
		return err
	}

	// The generator step continues the graph of fakeM: it differentiates through the generator
	// activations fakeM computed for the discriminator's fakes (same z, same weights: G is not
	// updated in between), so G's forward pass runs once per step. BatchNorm's running
	// statistics are updated once, by fakeM.
	g := s.fakeG
	fake := s.fakeOut
	if fake, s.gAug, err = s.augmentNode(fake); err != nil {
		return err
	}
	logits, err := m.disc(g, fake, nn.BNTrainFrozen, 1, true)
	if err != nil {
		return err
	}
	if s.gLoss, err = nn.GANLoss(logits, s.batch); err != nil {
		return err
	}
	gp := m.gParams()
	wrt = wrt[:0]
	for _, p := range gp {
		wrt = append(wrt, g.Param(p))
	}
	if s.gGrads, err = nn.Grad(s.gLoss, wrt...); err != nil {
		return err
	}
	if s.gM, err = g.Compile(append([]*nn.Node{s.gLoss}, s.gGrads...)...); err != nil {
		return err
	}
	if err = s.gM.Reuse(s.fakeM); err != nil {
		return err
	}
	s.optD = nn.NewAdam(lr, beta1, sizes(dp))
	s.optG = nn.NewAdam(lr, beta1, sizes(gp))
	s.gradBufD = make([][]float32, len(dp))
	s.gradBufG = make([][]float32, len(gp))
	return nil
}

// flops is the matrix work of one D+G step.
func (s *stepper) flops() int64 { return s.fakeM.FLOPs() + s.dM.FLOPs() + s.gM.FLOPs() }

func (s *stepper) close() {
	s.fakeM.Close()
	s.dM.Close()
	s.gM.Close()
}

// step runs one discriminator and one generator update on a batch of real images (batch·Size·Size
// values in [-1, 1]) and latent vectors z (batch·ZDim) and returns both losses.
func (s *stepper) step(real, z []float32) (dLoss, gLoss float32, err error) {
	n := s.batch * s.pix
	if len(real) != n || len(z) != s.batch*ZDim {
		return 0, 0, fmt.Errorf("train step: %d pixels and %d latents, want %d and %d", len(real), len(z), n, s.batch*ZDim)
	}
	copy(s.fakeZ, z)
	if err := s.fakeM.Run(); err != nil {
		return 0, 0, err
	}
	copy(s.dX[:n], real)
	copy(s.dX[n:], nn.Value(s.fakeOut))
	s.draw(s.dAug)
	if err := s.dM.Run(); err != nil {
		return 0, 0, err
	}
	dLoss = nn.Scalar(s.dLoss)
	dp := s.m.dParams()
	for i, gn := range s.dGrads {
		s.gradBufD[i] = nn.Value(gn)
	}
	if s.dHook != nil {
		if err := s.dHook(dp, s.gradBufD); err != nil {
			return 0, 0, err
		}
	}
	s.optD.Update(dp, s.gradBufD)
	gLoss, err = s.generatorStep()
	return dLoss, gLoss, err
}

// generatorStep runs one generator update and returns its loss; plain and DP training share it
// (the generator never sees a real image). It must follow the step's fakeM run: it reuses that
// run's generator activations (the latents z it was given, G's weights unchanged since).
func (s *stepper) generatorStep() (float32, error) {
	s.draw(s.gAug)
	if err := s.gM.Run(); err != nil {
		return 0, err
	}
	loss := nn.Scalar(s.gLoss)
	for i, gn := range s.gGrads {
		s.gradBufG[i] = nn.Value(gn)
	}
	s.optG.Update(s.m.gParams(), s.gradBufG)
	return loss, nil
}

// sampler generates images in eval mode (running BatchNorm statistics), batch at a time.
type sampler struct {
	batch int
	z     []float32
	out   *nn.Node
	m     *nn.Machine
}

func newSampler(m *dcgan, batch int) (*sampler, error) {
	g := m.newGraph()
	z, zd := g.Input("z", batch, ZDim)
	out, err := m.gen(g, z, nn.BNEval)
	if err != nil {
		return nil, err
	}
	mach, err := g.Compile(out)
	if err != nil {
		return nil, err
	}
	return &sampler{batch: batch, z: zd, out: out, m: mach}, nil
}

// run generates one batch from z (batch·ZDim) and returns the images (valid until the next run).
func (s *sampler) run(z []float32) ([]float32, error) {
	copy(s.z, z)
	if err := s.m.Run(); err != nil {
		return nil, err
	}
	return nn.Value(s.out), nil
}
