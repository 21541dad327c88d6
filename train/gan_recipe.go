package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/nn"
)

// Recipe names.
const (
	// RecipeDCGAN is the published DCGAN (Radford et al. 2016): no augmentation, samples the
	// generator's last weights. Kept so the comparison can always be rerun.
	RecipeDCGAN = "dcgan"
	// RecipeAugmented adds differentiable augmentation (DiffAugment, Zhao et al. 2020) of every
	// image the discriminator sees, real and generated: brightness, contrast, translation and
	// cutout, never a flip.
	RecipeAugmented = "augmented"
)

// DefaultRecipe is what train gan uses without --recipe: augmentation won the measured
// comparison on Kermany virus (104 films, 64×64, equal steps) at 1,500 and 3,000 steps;
// sampling the moving average won at 1,500 and lost at 3,000, so it is not the default
// (docs/results/gan-ablation/).
const DefaultRecipe = RecipeAugmented

// Recipes lists the recipe names.
var Recipes = []string{RecipeDCGAN, RecipeAugmented}

// Recipe is how a DCGAN is trained and sampled. The checkpoint records it; a run with another
// recipe against an existing checkpoint is refused.
type Recipe struct {
	Name string `json:"name"`
	// Augment: DiffAugment before the discriminator on real and generated images alike (the
	// generator learns through it), with these strengths.
	Augment     bool    `json:"augment"`
	Brightness  float64 `json:"brightness,omitempty"`  // added shift uniform in ±Brightness
	Contrast    float64 `json:"contrast,omitempty"`    // factor uniform in 1 ± Contrast
	Translation float64 `json:"translation,omitempty"` // shift up to this fraction of the side
	Cutout      float64 `json:"cutout,omitempty"`      // cutout square of this fraction of the side
	// EMADecay: an exponential moving average of the generator's weights is kept with this decay
	// and a warm-up (decay min(EMADecay, (1+t)/(10+t)) at step t). It never feeds back into
	// training.
	EMADecay float64 `json:"ema_decay"`
	// SampleEMA: generators sample the moving average instead of the last weights.
	SampleEMA bool `json:"sample_ema"`
}

// RecipeByName returns a named recipe with its default strengths. Every recipe keeps a moving
// average of the generator's weights (it costs one pass over them per step and never changes
// training); Recipe.SampleEMA says whether generators sample it.
func RecipeByName(name string) (Recipe, error) {
	switch name {
	case RecipeDCGAN:
		return Recipe{Name: name, EMADecay: DefaultEMADecay}, nil
	case RecipeAugmented:
		return Recipe{Name: name, Augment: true, Brightness: 0.25, Contrast: 0.25, Translation: 0.125, Cutout: 0.5,
			EMADecay: DefaultEMADecay}, nil
	}
	return Recipe{}, fmt.Errorf("recipe %q: want one of %s", name, strings.Join(Recipes, ", "))
}

// DefaultEMADecay is the decay of the generator's moving average.
const DefaultEMADecay = 0.999

// Validate checks the recipe.
func (r Recipe) Validate() error {
	if !slices.Contains(Recipes, r.Name) {
		return fmt.Errorf("recipe %q: want one of %s", r.Name, strings.Join(Recipes, ", "))
	}
	if !(r.EMADecay >= 0 && r.EMADecay < 1) {
		return fmt.Errorf("EMA decay %g: want 0 ≤ decay < 1", r.EMADecay)
	}
	if r.SampleEMA && r.EMADecay == 0 {
		return fmt.Errorf("sampling the moving average needs an EMA decay above 0")
	}
	if r.Brightness < 0 || r.Brightness > 1 || r.Contrast < 0 || r.Contrast >= 1 || r.Translation < 0 || r.Translation > 0.5 || r.Cutout < 0 || r.Cutout > 1 {
		return fmt.Errorf("augmentation strengths brightness %g, contrast %g, translation %g, cutout %g out of range", r.Brightness, r.Contrast, r.Translation, r.Cutout)
	}
	return nil
}

// drawAug fills p with random augmentations for size×size images (DiffAugment's policy
// "color,translation,cutout" without saturation: the films are gray).
func (r Recipe) drawAug(rng *rand.Rand, size int, p []nn.AugParams) {
	shift := int(math.Round(r.Translation * float64(size)))
	cut := int(math.Round(r.Cutout * float64(size)))
	for i := range p {
		a := nn.AugParams{
			Brightness: float32(r.Brightness * (2*rng.Float64() - 1)),
			Contrast:   float32(1 + r.Contrast*(2*rng.Float64()-1)),
		}
		if shift > 0 {
			a.DX, a.DY = rng.IntN(2*shift+1)-shift, rng.IntN(2*shift+1)-shift
		}
		if cut > 0 {
			// the square's centre anywhere in the image, as in DiffAugment
			a.CutSize = cut
			a.CutX, a.CutY = rng.IntN(size+1-cut%2)-cut/2, rng.IntN(size+1-cut%2)-cut/2
		}
		p[i] = a
	}
}

// DefaultSteps is the step budget of a class when neither --steps nor --epochs is given: 30
// passes over the class, but at least 2,000 and at most 6,000 D+G steps, so that a class of a
// hundred films still gets thousands of steps (a GAN needs steps, not epochs) and a large one
// does not run for days.
func DefaultSteps(trainImages, batch int) int {
	perEpoch := max(1, trainImages/max(1, batch))
	return min(6000, max(2000, 30*perEpoch))
}

// ema is the moving average of the generator's weights.
type ema struct {
	decay  float64
	params [][]float32 // in gParams order
	stats  []*nn.BNStats
}

func newEMA(decay float64, m *dcgan) *ema {
	e := &ema{decay: decay}
	for _, p := range m.gParams() {
		e.params = append(e.params, slices.Clone(p.Data))
	}
	for _, s := range m.gBNStats {
		e.stats = append(e.stats, &nn.BNStats{Mean: slices.Clone(s.Mean), Var: slices.Clone(s.Var)})
	}
	return e
}

// update folds the generator's weights after step t (1, 2, …) into the average.
func (e *ema) update(m *dcgan, t int64) {
	d := float32(math.Min(e.decay, float64(1+t)/float64(10+t)))
	for i, p := range m.gParams() {
		nn.MovingAverage(e.params[i], p.Data, d)
	}
}

// swap exchanges the model's generator weights and BatchNorm statistics with the average's;
// calling it twice restores both.
func (e *ema) swap(m *dcgan) {
	for i, p := range m.gParams() {
		swapData(p.Data, e.params[i])
	}
	for i, s := range m.gBNStats {
		swapData(s.Mean, e.stats[i].Mean)
		swapData(s.Var, e.stats[i].Var)
	}
}

func swapData(a, b []float32) {
	for i := range a {
		a[i], b[i] = b[i], a[i]
	}
}

// recalibrateRuns is how many train-mode generator passes re-estimate the average's BatchNorm
// statistics (momentum 0.1: the start's weight falls to 0.9^30 ≈ 4%).
const recalibrateRuns = 30

// recalibrate re-estimates the BatchNorm running statistics of the averaged weights: the
// statistics of the last weights do not fit the average. It runs the generator in train mode
// on latent batches from a stream fixed by (seed, step), starting from the last weights'
// statistics, and leaves the model as it was. It reads no training image.
func (e *ema) recalibrate(st *stepper, seed uint64, step int64) error {
	m := st.m
	saved := make([]nn.BNStats, len(m.gBNStats))
	for i, s := range m.gBNStats {
		saved[i] = nn.BNStats{Mean: slices.Clone(s.Mean), Var: slices.Clone(s.Var)}
	}
	for i, p := range m.gParams() {
		swapData(p.Data, e.params[i])
	}
	defer func() {
		for i, p := range m.gParams() {
			swapData(p.Data, e.params[i])
		}
	}()
	rng := rand.New(rand.NewPCG(seed^0x656d61, uint64(step)))
	for r := 0; r < recalibrateRuns; r++ {
		for i := range st.fakeZ {
			st.fakeZ[i] = float32(rng.NormFloat64())
		}
		if err := st.fakeM.Run(); err != nil {
			return err
		}
	}
	for i, s := range m.gBNStats {
		copy(e.stats[i].Mean, s.Mean)
		copy(e.stats[i].Var, s.Var)
		copy(s.Mean, saved[i].Mean)
		copy(s.Var, saved[i].Var)
	}
	return nil
}

// recipeLabel names a recipe with its settings for messages.
func recipeLabel(r Recipe) string {
	s := r.Name
	if r.Augment {
		s += fmt.Sprintf(" (augment brightness %g, contrast %g, translation %g, cutout %g)", r.Brightness, r.Contrast, r.Translation, r.Cutout)
	}
	if r.EMADecay > 0 {
		s += fmt.Sprintf(" ema %g", r.EMADecay)
		if r.SampleEMA {
			s += " sampled"
		}
	}
	return s
}

// sameTraining reports whether two recipes train identically (which weights are sampled does
// not change training).
func sameTraining(a, b Recipe) bool {
	a.SampleEMA, b.SampleEMA = false, false
	return a == b
}
