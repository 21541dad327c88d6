package train

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/raysynth/raysynth/internal/rdp"
)

// exhausted reports whether the privacy budget allows no further step (false without DP).
func (s *dpState) exhausted() bool { return s != nil && s.Exhausted }

// dpRun draws the Poisson batches of patients, runs the DP steps and keeps the accountant.
type dpRun struct {
	st       *dpStepper
	state    *dpState
	acc      *rdp.Accountant
	rng      *mrand.Rand
	films    *filmFile
	npix     int
	patients [][]int // image indices per patient, patients in pseudonym order
	sampled  []int
	bufs     [][]float32
	batch    [][]float32
}

func newDPRun(st *dpStepper, state *dpState, ts *trainSet, size int, seed *[32]byte) (*dpRun, error) {
	acc, err := state.accountant()
	if err != nil {
		return nil, fmt.Errorf("rebuild privacy accountant: %w", err)
	}
	rng, err := dpRand(seed)
	if err != nil {
		return nil, err
	}
	r := &dpRun{st: st, state: state, acc: acc, rng: rng, films: ts.films, npix: size * size}
	byPatient := map[string][]int{}
	for i, p := range ts.patientOf {
		byPatient[p] = append(byPatient[p], i)
	}
	names := make([]string, 0, len(byPatient))
	for p := range byPatient {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		r.patients = append(r.patients, byPatient[p])
	}
	return r, nil
}

// oneStep is the phase of one DP step.
func (r *dpRun) oneStep() rdp.Phase {
	return rdp.Phase{SamplingRate: r.state.SamplingRate, Noise: r.state.Noise, Steps: 1}
}

// overBudget says whether one more step would spend more than the target ε.
func (r *dpRun) overBudget() (bool, float64, error) {
	if r.state.TargetEpsilon == 0 {
		return false, 0, nil
	}
	b, err := r.acc.SpentAfter(r.oneStep(), r.state.Delta)
	if err != nil {
		return false, 0, err
	}
	return b.Epsilon > r.state.TargetEpsilon, b.Epsilon, nil
}

// sample draws this step's patients and fills their micro-batches.
func (r *dpRun) sample() ([][]float32, error) {
	r.sampled = poissonSample(r.rng, len(r.patients), r.state.SamplingRate, r.sampled)
	for len(r.bufs) < len(r.sampled) {
		r.bufs = append(r.bufs, nil)
	}
	r.batch = r.batch[:0]
	for k, pi := range r.sampled {
		films := r.patients[pi]
		if m := r.state.MaxFilms; m > 0 && len(films) > m {
			films = slices.Clone(films)
			r.rng.Shuffle(len(films), func(i, j int) { films[i], films[j] = films[j], films[i] })
			films = films[:m]
			slices.Sort(films)
		}
		b := r.bufs[k][:0]
		for _, f := range films {
			b = slices.Grow(b, r.npix)
			if _, err := r.films.Film(f, b[len(b):len(b)+r.npix]); err != nil {
				return nil, err
			}
			b = b[:len(b)+r.npix]
		}
		r.bufs[k] = b
		r.batch = append(r.batch, b)
	}
	return r.batch, nil
}

// step runs one DP step (the caller has checked the budget), records it with the accountant and
// marks the budget exhausted when the next step would exceed it.
func (r *dpRun) step(z []float32) (dLoss, gLoss float32, err error) {
	patients, err := r.sample()
	if err != nil {
		return 0, 0, err
	}
	expected := r.state.SamplingRate * float64(len(r.patients))
	if dLoss, gLoss, err = r.st.step(patients, z, expected, r.state.Noise, r.rng); err != nil {
		return 0, 0, err
	}
	if err := r.acc.Add(r.oneStep()); err != nil {
		return 0, 0, err
	}
	r.state.Phases = r.acc.Phases()
	spent, err := r.acc.Spent(r.state.Delta)
	if err != nil {
		return 0, 0, err
	}
	r.state.EpsilonSpent = spent.Epsilon
	over, _, err := r.overBudget()
	if err != nil {
		return 0, 0, err
	}
	r.state.Exhausted = over
	return dLoss, gLoss, nil
}
