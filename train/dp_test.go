package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/rdp"
)

// testSeed fixes the DP sampling/noise stream in tests (real runs draw it from crypto/rand).
var testSeed = &[32]byte{1, 2, 3}

func l2(g [][]float32) float64 {
	var s float64
	for _, t := range g {
		for _, v := range t {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

func clone2(g [][]float32) [][]float32 {
	out := make([][]float32, len(g))
	for i, t := range g {
		out[i] = append([]float32(nil), t...)
	}
	return out
}

// films makes n random images of size×size in [-1, 1].
func films(rng *rand.Rand, n, size int) []float32 {
	out := make([]float32, n*size*size)
	for i := range out {
		out[i] = float32(rng.Float64()*2 - 1)
	}
	return out
}

// patientGrad is one patient's summed real-image gradient, computed on a fresh worker.
func patientGrad(t *testing.T, m *dcgan, size int, fs []float32) [][]float32 {
	t.Helper()
	w := &dpWorker{m: m, size: size, graphs: map[int]*microGraph{}, acc: zeros(m.dParams()), grads: make([][]float32, len(m.dParams()))}
	if err := w.patient(fs, nil, math.Inf(1)); err != nil {
		t.Fatal(err)
	}
	for _, mg := range w.graphs {
		mg.mach.Close()
	}
	return w.acc
}

func TestDPPerPatientClipping(t *testing.T) {
	const size, batch = 16, 4
	rng := rand.New(rand.NewPCG(7, 8))
	m := newDCGAN(DefaultArch(size), rng)
	st, err := newDPStepper(m, batch, 2e-4, 0.5, Recipe{Name: RecipeDCGAN}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	patients := [][]float32{films(rng, 1, size), films(rng, 3, size), films(rng, 2, size), films(rng, 1, size), films(rng, 2, size)}

	// Per-sample normalisation: a patient's gradient is the sum of its films' gradients, so no
	// film's gradient depends on another's.
	two := patients[2]
	sum2 := patientGrad(t, m, size, two)
	a := patientGrad(t, m, size, two[:size*size])
	b := patientGrad(t, m, size, two[size*size:])
	for i := range sum2 {
		for j := range sum2[i] {
			if d := math.Abs(float64(sum2[i][j] - a[i][j] - b[i][j])); d > 1e-4*(1+math.Abs(float64(sum2[i][j]))) {
				t.Fatalf("patient gradient is not the sum of its films' gradients: param %d[%d] %g vs %g", i, j, sum2[i][j], a[i][j]+b[i][j])
			}
		}
	}

	var norms []float64
	var grads [][][]float32
	for _, p := range patients {
		g := patientGrad(t, m, size, p)
		grads = append(grads, g)
		norms = append(norms, l2(g))
	}
	for _, c := range []float64{norms[0] / 2, norms[3] * 10} {
		t.Run("clip", func(t *testing.T) {
			st.clip = c
			got, nFilms, err := st.privateSum(patients, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if nFilms != 9 {
				t.Errorf("%d films, want 9", nFilms)
			}
			want := zeros(m.dParams())
			for k, g := range grads {
				f := math.Min(1, c/norms[k])
				for i := range g {
					for j, v := range g[i] {
						want[i][j] += float32(f * float64(v))
					}
				}
			}
			var diff float64
			for i := range want {
				for j := range want[i] {
					d := float64(got[i][j] - want[i][j])
					diff += d * d
				}
			}
			if math.Sqrt(diff) > 1e-4*(l2(want)+1e-6) {
				t.Errorf("clip %g: clipped sum off by %g (norm %g)", c, math.Sqrt(diff), l2(want))
			}
			if n := l2(got); n > float64(len(patients))*c*(1+1e-5) {
				t.Errorf("clip %g: sum norm %g above patients × C", c, n)
			}
		})
	}

	// A patient whose films are duplicated still contributes at most C.
	one := patients[0]
	c := norms[0] / 2
	st.clip = c
	dup := append(append(append([]float32{}, one...), one...), one...)
	if n := l2(patientGrad(t, m, size, dup)); n < 2.9*norms[0] {
		t.Fatalf("duplicated films' unclipped gradient norm %g, want about 3 × %g", n, norms[0])
	}
	got, _, err := st.privateSum([][]float32{dup}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := l2(got); n > c*(1+1e-5) || n < c*(1-1e-3) {
		t.Errorf("duplicated patient contributes norm %g, want C = %g", n, c)
	}

	// Noise: the standard deviation of the noised sum minus the clipped sum is σC.
	clean := clone2(got)
	noisy, _, err := st.privateSum([][]float32{dup}, 2, rand.New(rand.NewChaCha8(*testSeed)))
	if err != nil {
		t.Fatal(err)
	}
	var ss float64
	var n int
	for i := range noisy {
		for j := range noisy[i] {
			d := float64(noisy[i][j] - clean[i][j])
			ss += d * d
			n++
		}
	}
	if sd := math.Sqrt(ss / float64(n)); math.Abs(sd-2*c)/(2*c) > 0.05 {
		t.Errorf("noise sd %g, want σC = %g (over %d values)", sd, 2*c, n)
	}
}

func TestPoissonSampling(t *testing.T) {
	const n, q, draws = 1000, 0.1, 400
	rng := rand.New(rand.NewChaCha8(*testSeed))
	counts := make([]int, n)
	var sizes []float64
	var buf []int
	for d := 0; d < draws; d++ {
		buf = poissonSample(rng, n, q, buf)
		sizes = append(sizes, float64(len(buf)))
		for k, i := range buf {
			if k > 0 && buf[k-1] >= i {
				t.Fatal("sample not in increasing order (a unit twice?)")
			}
			counts[i]++
		}
	}
	var mean, v float64
	for _, s := range sizes {
		mean += s
	}
	mean /= draws
	for _, s := range sizes {
		v += (s - mean) * (s - mean)
	}
	v /= draws - 1
	// Batch size is Binomial(n, q): mean nq = 100 (sd of the mean 0.47), variance nq(1-q) = 90.
	if math.Abs(mean-n*q) > 2.5 {
		t.Errorf("mean batch %g, want %g", mean, n*q)
	}
	if v < 0.7*n*q*(1-q) || v > 1.3*n*q*(1-q) {
		t.Errorf("batch size variance %g, want about %g (a fixed-size batch has 0)", v, n*q*(1-q))
	}
	// Each unit is drawn about q·draws = 40 times (sd 6): none is never or far too often drawn.
	for i, c := range counts {
		if c < 10 || c > 75 {
			t.Errorf("unit %d drawn %d times of %d, want about %g", i, c, draws, q*draws)
		}
	}
	// Another seed gives other samples.
	other := poissonSample(rand.New(rand.NewChaCha8([32]byte{9})), n, q, nil)
	same := poissonSample(rand.New(rand.NewChaCha8(*testSeed)), n, q, nil)
	if len(other) == len(same) && equalInts(other, same) {
		t.Error("two seeds gave the same sample")
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dpTinyConfig(t *testing.T, epochs int, dp DPConfig) GANConfig {
	w := tinyWorkspace(t, 16, map[string]int{"normal": 16})
	cfg := tinyConfig(w, epochs)
	cfg.Size = 16
	dp.seed = testSeed
	cfg.DP = &dp
	return cfg
}

func TestDPStopsAtBudget(t *testing.T) {
	// 8 patients, q 0.5, σ 1: a budget of 3 allows a handful of the 200 planned steps.
	cfg := dpTinyConfig(t, 100, DPConfig{Epsilon: 3, Noise: 1, Clip: 1, SamplingRate: 0.5})
	res, err := TrainGAN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Classes[0]
	if c.Status != "trained" || c.DP == nil {
		t.Fatalf("result %+v", c)
	}
	d := c.DP
	if d.Epsilon > 3 || !d.BudgetExhausted || d.Steps == 0 || d.Steps >= 200 || c.EpochsRun >= 100 {
		t.Fatalf("DP %+v after %d epochs: want ε ≤ 3 spent, stopped early", d, c.EpochsRun)
	}
	if d.Delta != 1.0/80 || d.Unit != "patient" || d.Accountant != rdp.Version || d.Sampling != "poisson" {
		t.Errorf("DP record %+v", d)
	}
	// It stopped at the budget: one more step would exceed it.
	next, err := rdp.Spend([]rdp.Phase{{SamplingRate: 0.5, Noise: 1, Steps: d.Steps + 1}}, d.Delta, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.Epsilon <= 3 {
		t.Errorf("stopped after %d steps (ε %g) though %d steps spend only %g", d.Steps, d.Epsilon, d.Steps+1, next.Epsilon)
	}
	sum, err := ReadGANSummary(filepath.Join(cfg.Workspace.GANDir("normal"), SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sum.DecodeDP()
	if err != nil || got == nil {
		t.Fatalf("summary.json dp: %v, %v", got, err)
	}
	if *got != *d {
		t.Errorf("summary.json dp %+v, result %+v", *got, *d)
	}
	ck, _, err := ReadCheckpoint(filepath.Join(cfg.Workspace.GANDir("normal"), CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := ganFromCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	if meta.DP == nil || meta.DP.steps() != d.Steps || !meta.DP.Exhausted || meta.DP.EpsilonSpent != d.Epsilon || meta.DP.Noise != 1 || meta.DP.Clip != 1 {
		t.Errorf("checkpoint DP state %+v", meta.DP)
	}

	// Again: nothing more to spend.
	res, err = TrainGAN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Classes[0]; c.Status != "up-to-date" || c.EpochsRun != 0 || c.DP.Steps != d.Steps {
		t.Errorf("second run %+v", c)
	}

	// A budget too small for one step is refused.
	cfg.Restart = true
	cfg.DP.Epsilon = 0.01
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrDPBudgetTooSmall) {
		t.Errorf("tiny budget: %v", err)
	}
}

func TestDPResumeKeepsCounting(t *testing.T) {
	cfg := dpTinyConfig(t, 1, DPConfig{Noise: 2, Clip: 1, SamplingRate: 0.25})
	if _, err := TrainGAN(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 3
	res, err := TrainGAN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Classes[0]
	if c.Status != "resumed" || c.EpochsRun != 2 {
		t.Fatalf("resumed run %+v", c)
	}
	// 4 steps per epoch × 3 epochs, all at q 0.25, σ 2: one phase of 12 steps.
	if c.DP.Steps != 12 {
		t.Errorf("%d steps after resume, want 12", c.DP.Steps)
	}
	want, err := rdp.Spend([]rdp.Phase{{SamplingRate: 0.25, Noise: 2, Steps: 12}}, c.DP.Delta, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.DP.Epsilon-want.Epsilon) > 1e-12 {
		t.Errorf("ε %g after resume, want %g for 12 steps", c.DP.Epsilon, want.Epsilon)
	}

	// Other DP settings, or none, against this checkpoint are refused.
	cfg.DP.Clip = 0.5
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrCheckpointMismatch) {
		t.Errorf("other clip: %v", err)
	}
	cfg.DP = nil
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrCheckpointMismatch) {
		t.Errorf("no DP: %v", err)
	}
}

func TestDPStateDefaultsAndRefusals(t *testing.T) {
	s, err := newDPState(DPConfig{Epsilon: 4, Clip: 1}, 50, 10, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Delta != 1.0/500 || s.SamplingRate != 0.2 || s.PlannedSteps != 25 || s.Noise <= 0 {
		t.Errorf("defaults %+v", s)
	}
	b, err := rdp.Spend([]rdp.Phase{{SamplingRate: 0.2, Noise: s.Noise, Steps: 25}}, s.Delta, nil)
	if err != nil || b.Epsilon > 4 || b.Epsilon < 3.9 {
		t.Errorf("calibrated σ %g spends ε %g over the plan (want just under 4): %v", s.Noise, b.Epsilon, err)
	}
	if _, err := newDPState(DPConfig{Epsilon: 4, Clip: 1, Delta: 0.03}, 50, 10, 5, 0); !errors.Is(err, ErrDPDelta) {
		t.Errorf("δ above 1/patients: %v", err)
	}
	s.Sampling = "shuffled-fixed-size"
	if _, err := s.summary(); !errors.Is(err, ErrDPNotPoisson) {
		t.Errorf("non-Poisson sampling claimed DP: %v", err)
	}
	for _, bad := range []DPConfig{{Clip: 1}, {Epsilon: -1, Clip: 1}, {Epsilon: 1}, {Epsilon: 1, Clip: 1, SamplingRate: 1.5}, {Noise: 1, Clip: 1, Delta: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
