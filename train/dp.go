package train

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"

	"github.com/raysynth/raysynth/internal/rdp"
)

// Differentially private DCGAN training (issue 8): DP-SGD on the discriminator, the only network
// that sees real images; the generator's updates are post-processing. The unit of privacy is the
// patient: every step draws a Poisson sample of the class's train patients with rate q, a sampled
// patient's films (at most MaxFilms of them) form one micro-batch whose summed discriminator
// gradient is clipped to L2 norm C, Gaussian noise N(0, σ²C²) is added to the sum of the clipped
// gradients, and the result is divided by the expected number of sampled patients q·N. The
// gradient of the loss on generated images touches no real data and is added without noise.
//
// The discriminator normalises each image on its own in DP mode (BatchNorm with one group per
// image, running statistics frozen): with batch statistics one patient's gradient would depend on
// the other patients of the batch and the sensitivity bound would not hold.
//
// Poisson sampling and noise come from a ChaCha8 stream seeded by the operating system's
// cryptographic generator, never from the run's recorded seed: whoever knows the seed could
// otherwise subtract the noise. DP runs are therefore not bit-reproducible.

// DP sampling and normalisation recorded with every DP model.
const (
	dpSamplingPoisson   = "poisson"
	dpNormPerSample     = "per-sample (BatchNorm statistics of each image alone; running statistics frozen)"
	defaultDPWorkers    = 2
	defaultDPDeltaScale = 10 // δ = 1/(10·patients)
)

// ErrDPNotPoisson is returned when a DP claim is asked of a run whose batches were not drawn by
// Poisson sampling: the accountant's guarantee assumes it.
var ErrDPNotPoisson = errors.New("batches were not drawn by Poisson sampling: no differential privacy claim")

// ErrDPDelta is returned for a δ above 1/(number of train patients).
var ErrDPDelta = errors.New("delta too large for the number of patients")

// ErrDPBudgetTooSmall is returned when not even one step fits in the privacy budget.
var ErrDPBudgetTooSmall = errors.New("privacy budget too small for one step")

// DPConfig turns on differentially private training of the discriminator.
type DPConfig struct {
	// Epsilon is the privacy budget: training stops before spending more. With Noise 0 the
	// noise multiplier is calibrated so that the planned steps spend at most Epsilon.
	Epsilon float64
	// Noise is the noise multiplier σ (noise standard deviation / Clip); 0: calibrate for Epsilon.
	Noise float64
	// Delta is δ; 0: 1/(10 × the class's train patients). Above 1/patients is refused.
	Delta float64
	// Clip is C, the bound on each patient's summed gradient norm.
	Clip float64
	// SamplingRate is q, the probability that a patient is in a step's batch; 0: the expected
	// batch is Batch patients (q = Batch/patients, at most 1).
	SamplingRate float64
	// MaxFilms caps the films of one sampled patient used in a step (a random subset); 0: all.
	MaxFilms int
	// Workers is the number of parallel per-patient backward passes; 0: 2.
	Workers int

	seed *[32]byte // tests: fixed sampling/noise stream
}

// Validate checks the DP settings.
func (c DPConfig) Validate() error {
	var errs []error
	if c.Epsilon == 0 && c.Noise == 0 {
		errs = append(errs, errors.New("differential privacy needs a target epsilon or a noise multiplier"))
	}
	if c.Epsilon < 0 || math.IsNaN(c.Epsilon) || math.IsInf(c.Epsilon, 0) {
		errs = append(errs, fmt.Errorf("dp epsilon %g: want a finite number > 0", c.Epsilon))
	}
	if c.Noise < 0 || math.IsNaN(c.Noise) || math.IsInf(c.Noise, 0) {
		errs = append(errs, fmt.Errorf("dp noise %g: want a finite number > 0", c.Noise))
	}
	if !(c.Delta >= 0 && c.Delta < 1) {
		errs = append(errs, fmt.Errorf("dp delta %g: want 0 < delta < 1 (or 0 for the default)", c.Delta))
	}
	if !(c.Clip > 0) || math.IsInf(c.Clip, 0) {
		errs = append(errs, fmt.Errorf("dp clip %g: want a finite number > 0", c.Clip))
	}
	if !(c.SamplingRate >= 0 && c.SamplingRate <= 1) {
		errs = append(errs, fmt.Errorf("dp sampling rate %g: want 0 < q ≤ 1 (or 0 for batch/patients)", c.SamplingRate))
	}
	if c.MaxFilms < 0 {
		errs = append(errs, fmt.Errorf("dp max films %d: want ≥ 0 (0: all)", c.MaxFilms))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("dp workers %d: want ≥ 0", c.Workers))
	}
	return errors.Join(errs...)
}

// dpState is the DP part of a checkpoint: the settings and the accountant's phases, so that a
// resumed run keeps counting.
type dpState struct {
	TargetEpsilon float64     `json:"target_epsilon"` // 0: no cap (noise given)
	NoiseGiven    bool        `json:"noise_given"`
	Noise         float64     `json:"noise"`
	Delta         float64     `json:"delta"`
	Clip          float64     `json:"clip"`
	SamplingRate  float64     `json:"sampling_rate"`
	MaxFilms      int         `json:"max_films"`
	PlannedSteps  int         `json:"planned_steps"`
	Sampling      string      `json:"sampling"`
	Normalisation string      `json:"normalisation"`
	Accountant    string      `json:"accountant"`
	Phases        []rdp.Phase `json:"phases"`
	EpsilonSpent  float64     `json:"epsilon_spent"` // at Delta, after Phases
	Exhausted     bool        `json:"budget_exhausted"`
}

// DPSummary is the "dp" object of gan/<class>/summary.json ([GANSummary], read as contract.GANSummary) and of the run result.
type DPSummary struct {
	Epsilon            float64 `json:"epsilon"`
	Delta              float64 `json:"delta"`
	NoiseMultiplier    float64 `json:"noise_multiplier"`
	SamplingRate       float64 `json:"sampling_rate"`
	Clip               float64 `json:"clip"`
	Steps              int     `json:"steps"`
	Accountant         string  `json:"accountant"`
	Unit               string  `json:"unit"`
	TargetEpsilon      float64 `json:"target_epsilon,omitempty"`
	Order              float64 `json:"order"`
	Sampling           string  `json:"sampling"`
	MaxFilmsPerPatient int     `json:"max_films_per_patient"`
	Normalisation      string  `json:"discriminator_normalisation"`
	BudgetExhausted    bool    `json:"budget_exhausted"`
}

// dpStepsPerEpoch is the number of Poisson steps that make one epoch: every patient once on average.
func dpStepsPerEpoch(q float64) int { return max(1, int(math.Round(1/q))) }

// newDPState resolves the defaults of c for a class with the given number of train patients and
// the planned epochs (or steps, when steps > 0), calibrating σ when only a target ε is given.
func newDPState(c DPConfig, patients, batch, epochs, steps int) (*dpState, error) {
	if patients < 1 {
		return nil, errors.New("no train patients")
	}
	s := &dpState{TargetEpsilon: c.Epsilon, NoiseGiven: c.Noise > 0, Noise: c.Noise, Delta: c.Delta, Clip: c.Clip,
		SamplingRate: c.SamplingRate, MaxFilms: c.MaxFilms, Sampling: dpSamplingPoisson, Normalisation: dpNormPerSample,
		Accountant: rdp.Version}
	if s.Delta == 0 {
		s.Delta = 1 / float64(defaultDPDeltaScale*patients)
	}
	if s.Delta > 1/float64(patients) {
		return nil, fmt.Errorf("delta %g is above 1/%d patients (%g): such a delta allows leaking a whole patient; use at most 1/(10·patients) = %g: %w",
			s.Delta, patients, 1/float64(patients), 1/float64(defaultDPDeltaScale*patients), ErrDPDelta)
	}
	if s.SamplingRate == 0 {
		s.SamplingRate = math.Min(1, float64(batch)/float64(patients))
	}
	s.PlannedSteps = epochs * dpStepsPerEpoch(s.SamplingRate)
	if steps > 0 {
		s.PlannedSteps = steps
	}
	if !s.NoiseGiven {
		sigma, _, err := rdp.CalibrateNoise(s.SamplingRate, s.PlannedSteps, s.Delta, s.TargetEpsilon, nil)
		if err != nil {
			return nil, fmt.Errorf("calibrate noise for epsilon %g over %d steps: %w", s.TargetEpsilon, s.PlannedSteps, err)
		}
		s.Noise = sigma
	}
	if s.TargetEpsilon > 0 { // refused here, before a --restart removes anything
		one, err := rdp.Spend([]rdp.Phase{{SamplingRate: s.SamplingRate, Noise: s.Noise, Steps: 1}}, s.Delta, nil)
		if err != nil {
			return nil, err
		}
		if one.Epsilon > s.TargetEpsilon {
			return nil, fmt.Errorf("one step at noise %g, sampling rate %g spends epsilon %.4g > %g: %w",
				s.Noise, s.SamplingRate, one.Epsilon, s.TargetEpsilon, ErrDPBudgetTooSmall)
		}
	}
	return s, nil
}

// dpDiff says how a checkpoint's DP settings differ from the run's, or "".
func dpDiff(got, want *dpState) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return "no differential privacy (run asks for it)"
	case want == nil:
		return "differential privacy (run asks for none)"
	}
	if got.TargetEpsilon != want.TargetEpsilon || got.NoiseGiven != want.NoiseGiven || (want.NoiseGiven && got.Noise != want.Noise) ||
		got.Delta != want.Delta || got.Clip != want.Clip || got.SamplingRate != want.SamplingRate || got.MaxFilms != want.MaxFilms {
		return fmt.Sprintf("dp epsilon %g noise %g delta %g clip %g q %g max films %d (run asks %g, %g, %g, %g, %g, %d)",
			got.TargetEpsilon, got.Noise, got.Delta, got.Clip, got.SamplingRate, got.MaxFilms,
			want.TargetEpsilon, want.Noise, want.Delta, want.Clip, want.SamplingRate, want.MaxFilms)
	}
	return ""
}

// accountant rebuilds the accountant from the recorded phases.
func (s *dpState) accountant() (*rdp.Accountant, error) {
	a, err := rdp.NewAccountant(nil)
	if err != nil {
		return nil, err
	}
	for _, p := range s.Phases {
		if err := a.Add(p); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (s *dpState) steps() int {
	n := 0
	for _, p := range s.Phases {
		n += p.Steps
	}
	return n
}

// summary is the DP claim of the model trained so far. It refuses to claim anything when the
// batches were not drawn by Poisson sampling.
func (s *dpState) summary() (*DPSummary, error) {
	if s.Sampling != dpSamplingPoisson {
		return nil, fmt.Errorf("sampling %q: %w", s.Sampling, ErrDPNotPoisson)
	}
	a, err := s.accountant()
	if err != nil {
		return nil, err
	}
	b, err := a.Spent(s.Delta)
	if err != nil {
		return nil, err
	}
	return &DPSummary{Epsilon: b.Epsilon, Delta: s.Delta, NoiseMultiplier: s.Noise, SamplingRate: s.SamplingRate, Clip: s.Clip,
		Steps: s.steps(), Accountant: s.Accountant, Unit: "patient", TargetEpsilon: s.TargetEpsilon, Order: b.Order,
		Sampling: s.Sampling, MaxFilmsPerPatient: s.MaxFilms, Normalisation: s.Normalisation, BudgetExhausted: s.Exhausted}, nil
}

// summaryJSON is the "dp" value of summary.json: null without DP.
func (s *dpState) summaryJSON() (json.RawMessage, *DPSummary, error) {
	if s == nil {
		return json.RawMessage("null"), nil, nil
	}
	d, err := s.summary()
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(d)
	return b, d, err
}

// dpRand returns the stream for Poisson sampling and noise: from seed in tests, otherwise
// seeded by crypto/rand.
func dpRand(seed *[32]byte) (*mrand.Rand, error) {
	var s [32]byte
	if seed != nil {
		s = *seed
	} else if _, err := rand.Read(s[:]); err != nil {
		return nil, fmt.Errorf("seed DP noise: %w", err)
	}
	return mrand.New(mrand.NewChaCha8(s)), nil
}

// poissonSample returns the indices of the units each kept independently with probability q.
func poissonSample(rng *mrand.Rand, n int, q float64, out []int) []int {
	out = out[:0]
	for i := 0; i < n; i++ {
		if rng.Float64() < q {
			out = append(out, i)
		}
	}
	return out
}

// clipAccumulate adds g, scaled to L2 norm at most clip, to acc (both per parameter) and returns
// the norm of g before clipping.
func clipAccumulate(acc, g [][]float32, scale float64, clip float64) float64 {
	var ss float64
	for _, t := range g {
		for _, v := range t {
			f := float64(v) * scale
			ss += f * f
		}
	}
	norm := math.Sqrt(ss)
	f := scale
	if norm > clip {
		f = scale * clip / norm
	}
	for i, t := range g {
		a := acc[i]
		for j, v := range t {
			a[j] += float32(f * float64(v))
		}
	}
	return norm
}

// addNoise adds N(0, (sigma·clip)²) to every value.
func addNoise(rng *mrand.Rand, acc [][]float32, sigma, clip float64) {
	sd := sigma * clip
	if sd == 0 {
		return
	}
	for _, t := range acc {
		for j := range t {
			t[j] += float32(sd * rng.NormFloat64())
		}
	}
}
