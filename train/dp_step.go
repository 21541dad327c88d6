package train

import (
	"fmt"
	mrand "math/rand/v2"
	"sync"

	"github.com/raysynth/raysynth/internal/nn"
)

// dpStepper runs differentially private DCGAN steps: the discriminator's gradient on generated
// images from one batch pass, its gradient on real images from one backward pass per sampled
// patient (clipped, summed, noised), and the generator's step as in non-private training.
type dpStepper struct {
	*stepper // fakeM, dM (generated images only), gM, optimisers
	clip     float64
	workers  []*dpWorker
	total    [][]float32
}

// dpWorker computes per-patient gradients on its own graphs (one per micro-batch size).
type dpWorker struct {
	m       *dcgan
	size    int
	augment bool // DiffAugment each film of the micro-batch before D
	graphs  map[int]*microGraph
	acc     [][]float32
	grads   [][]float32
	loss    float64 // sum of per-film real losses
	films   int
	err     error
}

type microGraph struct {
	x     []float32
	aug   *nn.Augmentation
	loss  *nn.Node
	grads []*nn.Node
	mach  *nn.Machine
}

func newDPStepper(m *dcgan, batch int, lr, beta1 float64, recipe Recipe, clip float64, workers int) (*dpStepper, error) {
	m.perSample = true
	s := &stepper{m: m, batch: batch, pix: m.arch.Size * m.arch.Size, recipe: recipe}
	size := m.arch.Size
	var err error
	ok := false
	defer func() {
		if !ok {
			for _, mc := range []*nn.Machine{s.fakeM, s.dM, s.gM} {
				if mc != nil {
					mc.Close()
				}
			}
		}
	}()

	if err = s.buildFake(); err != nil {
		return nil, err
	}

	// D on generated images only: mean softplus(logit).
	g := m.newGraph()
	var x *nn.Node
	x, s.dX = g.Input("x", batch, size, size, 1)
	if x, s.dAug, err = s.augmentNode(x); err != nil {
		return nil, err
	}
	logits, err := m.disc(g, x, nn.BNTrainFrozen, 1, false)
	if err != nil {
		return nil, err
	}
	if s.dLoss, err = nn.GANLoss(logits, 0); err != nil {
		return nil, err
	}
	if err = s.finish(g, lr, beta1); err != nil {
		return nil, err
	}
	dp := m.dParams()

	d := &dpStepper{stepper: s, clip: clip, total: zeros(dp)}
	if workers <= 0 {
		workers = defaultDPWorkers
	}
	for i := 0; i < workers; i++ {
		d.workers = append(d.workers, &dpWorker{m: m, size: size, augment: recipe.Augment, graphs: map[int]*microGraph{}, acc: zeros(dp), grads: make([][]float32, len(dp))})
	}
	ok = true
	return d, nil
}

func zeros(ps []*nn.Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = make([]float32, len(p.Data))
	}
	return out
}

func (d *dpStepper) close() {
	d.stepper.close()
	for _, w := range d.workers {
		for _, mg := range w.graphs {
			mg.mach.Close()
		}
	}
}

// graph returns (compiling once) the worker's graph for a patient with n films: the summed
// real-image loss Σ softplus(−D(x)) is n × the graph's mean, so its gradient is n × the graph's.
func (w *dpWorker) graph(n int) (*microGraph, error) {
	if mg, ok := w.graphs[n]; ok {
		return mg, nil
	}
	g := w.m.newGraph()
	x, data := g.Input("x", n, w.size, w.size, 1)
	var aug *nn.Augmentation
	if w.augment {
		var err error
		if x, aug, err = nn.DiffAugment(x); err != nil {
			return nil, err
		}
	}
	logits, err := w.m.disc(g, x, nn.BNTrainFrozen, 1, false)
	if err != nil {
		return nil, err
	}
	loss, err := nn.GANLoss(logits, n)
	if err != nil {
		return nil, err
	}
	var wrt []*nn.Node
	for _, p := range w.m.dParams() {
		wrt = append(wrt, g.Param(p))
	}
	grads, err := nn.Grad(loss, wrt...)
	if err != nil {
		return nil, err
	}
	mach, err := g.Compile(append([]*nn.Node{loss}, grads...)...)
	if err != nil {
		return nil, err
	}
	mg := &microGraph{x: data, aug: aug, loss: loss, grads: grads, mach: mach}
	w.graphs[n] = mg
	return mg, nil
}

// patient adds one patient's clipped summed gradient (films: n·Size·Size pixels) to acc; aug
// holds one augmentation per film (nil without augmentation).
func (w *dpWorker) patient(films []float32, aug []nn.AugParams, clip float64) error {
	pix := w.size * w.size
	n := len(films) / pix
	mg, err := w.graph(n)
	if err != nil {
		return err
	}
	copy(mg.x, films)
	if mg.aug != nil {
		copy(mg.aug.Params, aug)
	}
	if err := mg.mach.Run(); err != nil {
		return err
	}
	for i, gn := range mg.grads {
		w.grads[i] = nn.Value(gn)
	}
	clipAccumulate(w.acc, w.grads, float64(n), clip)
	w.loss += float64(n) * float64(nn.Scalar(mg.loss))
	w.films += n
	return nil
}

// step runs one DP discriminator update and one generator update. patients holds each sampled
// patient's films (n·Size·Size values in [-1, 1]); expected is q·N, the expected number of sampled
// patients, which divides the noised sum; sigma is the noise multiplier. It returns the
// discriminator loss (mean over the real films plus mean over the generated ones) and the
// generator loss.
func (d *dpStepper) step(patients [][]float32, z []float32, expected, sigma float64, rng *mrand.Rand) (dLoss, gLoss float32, err error) {
	s := d.stepper
	if len(z) != s.batch*ZDim {
		return 0, 0, fmt.Errorf("train step: %d latents, want %d", len(z), s.batch*ZDim)
	}
	for _, p := range patients {
		if len(p) == 0 || len(p)%s.pix != 0 {
			return 0, 0, fmt.Errorf("train step: patient micro-batch of %d values, want a positive multiple of %d", len(p), s.pix)
		}
	}
	copy(s.fakeZ, z)
	if err := s.fakeM.Run(); err != nil {
		return 0, 0, err
	}
	copy(s.dX, nn.Value(s.fakeOut))
	s.draw(s.dAug)
	if err := s.dM.Run(); err != nil {
		return 0, 0, err
	}
	fakeLoss := nn.Scalar(s.dLoss)
	for i, gn := range s.dGrads {
		copy(d.total[i], nn.Value(gn))
	}

	realSum, films, err := d.privateSum(patients, sigma, rng)
	if err != nil {
		return 0, 0, err
	}
	inv := float32(1 / expected)
	for i, t := range d.total {
		r := realSum[i]
		for j := range t {
			t[j] += r[j] * inv
		}
	}
	dLoss = fakeLoss
	if films > 0 {
		var l float64
		for _, w := range d.workers {
			l += w.loss
		}
		dLoss += float32(l / float64(films))
	}
	s.optD.Update(s.m.dParams(), d.total)
	gLoss, err = s.generatorStep()
	return dLoss, gLoss, err
}

// privateSum returns Σ_patients clip_C(Σ_films ∇ softplus(−D(x))) + N(0, σ²C²) per parameter
// value (in the first worker's buffer) and the number of real films. Patients are split among
// the workers by index (patient i to worker i mod W) and the worker sums are added in worker
// order, so the result does not depend on scheduling.
func (d *dpStepper) privateSum(patients [][]float32, sigma float64, rng *mrand.Rand) ([][]float32, int, error) {
	// Each film's augmentation is drawn here, in patient order, before the workers start: it is
	// part of that patient's gradient computation and independent of every image.
	augs := make([][]nn.AugParams, len(patients))
	if d.recipe.Augment {
		for i, p := range patients {
			augs[i] = make([]nn.AugParams, len(p)/d.pix)
			if d.augment != nil {
				d.augment(augs[i])
			}
		}
	}
	var wg sync.WaitGroup
	for wi, w := range d.workers {
		for _, t := range w.acc {
			clear(t)
		}
		w.loss, w.films, w.err = 0, 0, nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := wi; i < len(patients); i += len(d.workers) {
				if w.err = w.patient(patients[i], augs[i], d.clip); w.err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	sum := d.workers[0].acc
	films := 0
	for _, w := range d.workers {
		if w.err != nil {
			return nil, 0, w.err
		}
		films += w.films
	}
	for _, w := range d.workers[1:] {
		for i, t := range w.acc {
			s := sum[i]
			for j, v := range t {
				s[j] += v
			}
		}
	}
	addNoise(rng, sum, sigma, d.clip)
	return sum, films, nil
}
