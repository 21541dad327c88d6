package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/nn"
	"github.com/raysynth/raysynth/internal/sysinfo"
)

// BenchConfig sets up a DCGAN speed and memory benchmark on random data.
type BenchConfig struct {
	Size, Batch int
	Steps       int // timed D+G steps (after one warm-up step)
	GenBatches  int // timed eval-mode generation batches
	Seed        uint64
	Recipe      string // training recipe (augmentation and moving average are part of a step); "": DefaultRecipe
	Precision   Precision
}

// Validate checks the configuration.
func (c BenchConfig) Validate() error {
	if err := DefaultArch(c.Size).Validate(); err != nil {
		return err
	}
	if c.Recipe != "" {
		if _, err := RecipeByName(c.Recipe); err != nil {
			return err
		}
	}
	if c.Batch < 2 || c.Steps < 1 || c.GenBatches < 1 {
		return fmt.Errorf("bench: batch %d, steps %d, generation batches %d: want batch ≥ 2 and at least one of each", c.Batch, c.Steps, c.GenBatches)
	}
	return nil
}

// BenchResult is what the benchmark measured.
type BenchResult struct {
	Size            int       `json:"size"`
	Recipe          string    `json:"recipe"`
	Batch           int       `json:"batch"`
	Steps           int       `json:"steps"`
	BLAS            string    `json:"blas"`
	Precision       string    `json:"precision"`
	BLASCore        string    `json:"blas_core,omitempty"`
	GOMAXPROCS      int       `json:"gomaxprocs"`
	SecondsPerStep  float64   `json:"seconds_per_step"`
	CPUPerStep      float64   `json:"cpu_seconds_per_step"` // user+system CPU time: less noisy than wall time on a shared machine
	StepSeconds     []float64 `json:"step_seconds"`
	RealImagesPerS  float64   `json:"real_images_per_second"`
	GenImagesPerS   float64   `json:"generated_images_per_second"`
	GenBatchSeconds float64   `json:"generate_batch_seconds"`
	GenCPUPerBatch  float64   `json:"generate_batch_cpu_seconds"`
	GFLOPPerStep    float64   `json:"gflop_per_step"`
	GFLOPS          float64   `json:"gflops"`
	PeakRSSBytes    int64     `json:"peak_rss_bytes"`
	Params          int       `json:"params"`

	// MeanSecondsPerStep is the mean wall time of a step with the update of the generator's
	// moving average, as a training run makes it: a run's length follows the mean, and slow
	// steps (another process woke up) count in it.
	MeanSecondsPerStep float64 `json:"mean_seconds_per_step"`

	// Set by [BenchGANSuite]: the step against the matrix-product ceiling measured in the same
	// process just before and just after this run (their mean), by wall time and by CPU time,
	// and the wall time of 5,000 steps at this speed (mean step with the moving average).
	CeilingGFLOPS      float64 `json:"ceiling_gflops,omitempty"`
	CeilingFraction    float64 `json:"ceiling_fraction,omitempty"`
	GFLOPPerCPUS       float64 `json:"gflop_per_cpu_second,omitempty"`
	CPUCeilingFraction float64 `json:"cpu_ceiling_fraction,omitempty"`
	Minutes5000Steps   float64 `json:"minutes_per_5000_steps,omitempty"`
	// A bf16 run timed after an fp32 run of the same batch: its step over the fp32 step, by
	// wall time and by CPU time (the matrix-product ceiling above is the fp32 one).
	FP32StepShare    float64 `json:"fp32_step_share,omitempty"`
	FP32CPUStepShare float64 `json:"fp32_cpu_step_share,omitempty"`
	// With several recipes: a run of a later recipe over the run of the first recipe at the same
	// batch and precision, timed just before it in the same process, by wall and by CPU time.
	BaseRecipe       string  `json:"base_recipe,omitempty"`
	BaseStepShare    float64 `json:"base_recipe_step_share,omitempty"`
	BaseCPUStepShare float64 `json:"base_recipe_cpu_step_share,omitempty"`
}

// BenchSuiteConfig runs [BenchGAN] at several batch sizes (BenchConfig.Batch is ignored).
type BenchSuiteConfig struct {
	BenchConfig
	Batches []int
	// Precisions to time at each batch size, one run each in this order (nil: BenchConfig's).
	// With FP32 before BF16, each bf16 result gives its share of the fp32 step.
	Precisions []Precision
	// Recipes to time at each batch size and precision, one run each in this order, one right
	// after the other so that they see the same load (nil: BenchConfig's). Each later recipe's
	// result gives its share of the first recipe's step.
	Recipes []string
}

// Validate checks the configuration.
func (c BenchSuiteConfig) Validate() error {
	if len(c.Batches) == 0 {
		return fmt.Errorf("bench: no batch size")
	}
	for _, b := range c.Batches {
		cfg := c.BenchConfig
		cfg.Batch = b
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	for i, r := range c.Recipes {
		if _, err := RecipeByName(r); err != nil {
			return err
		}
		if slices.Contains(c.Recipes[:i], r) {
			return fmt.Errorf("bench: recipe %q given twice", r)
		}
	}
	return nil
}

// BenchSuite is what [BenchGANSuite] measured: one result per batch size and the ceilings
// measured before the first run, between runs and after the last.
type BenchSuite struct {
	Runs     []*BenchResult `json:"runs"`
	Ceilings []Ceiling      `json:"ceilings"`
}

// BenchGANSuite times the DCGAN step at each batch size with the matrix-product ceiling measured
// around every run in the same process, so the fraction of the ceiling compares figures taken
// under the same load.
func BenchGANSuite(ctx context.Context, cfg BenchSuiteConfig) (*BenchSuite, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	out := &BenchSuite{}
	c, err := gemmCeiling(ctx)
	if err != nil {
		return nil, err
	}
	out.Ceilings = append(out.Ceilings, c)
	precs := cfg.Precisions
	if len(precs) == 0 {
		precs = []Precision{cfg.Precision}
	}
	recipes := cfg.Recipes
	if len(recipes) == 0 {
		recipes = []string{cfg.Recipe}
	}
	type run struct {
		batch  int
		prec   Precision
		recipe string
	}
	var runs []run
	for _, b := range cfg.Batches {
		for _, p := range precs {
			for _, rc := range recipes {
				runs = append(runs, run{b, p, rc})
			}
		}
	}
	type key = run
	done := map[key]*BenchResult{}
	for _, rn := range runs {
		one := cfg.BenchConfig
		one.Batch, one.Precision, one.Recipe = rn.batch, rn.prec, rn.recipe
		r, err := BenchGAN(ctx, one)
		if err != nil {
			return nil, err
		}
		done[rn] = r
		if f := done[key{rn.batch, FP32, rn.recipe}]; rn.prec != FP32 && f != nil && f.SecondsPerStep > 0 && f.CPUPerStep > 0 {
			r.FP32StepShare, r.FP32CPUStepShare = r.SecondsPerStep/f.SecondsPerStep, r.CPUPerStep/f.CPUPerStep
		}
		if f := done[key{rn.batch, rn.prec, recipes[0]}]; rn.recipe != recipes[0] && f != nil && f.SecondsPerStep > 0 && f.CPUPerStep > 0 {
			r.BaseRecipe = f.Recipe
			r.BaseStepShare, r.BaseCPUStepShare = r.SecondsPerStep/f.SecondsPerStep, r.CPUPerStep/f.CPUPerStep
		}
		after, err := gemmCeiling(ctx)
		if err != nil {
			return nil, err
		}
		before := out.Ceilings[len(out.Ceilings)-1]
		out.Ceilings = append(out.Ceilings, after)
		r.CeilingGFLOPS = (before.GFLOPS + after.GFLOPS) / 2
		r.CeilingFraction = r.GFLOPS / r.CeilingGFLOPS
		if r.CPUPerStep > 0 {
			r.GFLOPPerCPUS = r.GFLOPPerStep / r.CPUPerStep
			if cpuCeil := (before.GFLOPPerCPUS + after.GFLOPPerCPUS) / 2; cpuCeil > 0 {
				r.CPUCeilingFraction = r.GFLOPPerCPUS / cpuCeil
			}
		}
		r.Minutes5000Steps = 5000 * r.MeanSecondsPerStep / 60
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchGAN builds the default DCGAN, trains it for a few steps on random images and generates in
// eval mode, timing both.
func BenchGAN(ctx context.Context, cfg BenchConfig) (*BenchResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x62656e6368))
	m := newDCGAN(DefaultArch(cfg.Size), rng)
	m.prec = cfg.Precision
	name := cfg.Recipe
	if name == "" {
		name = DefaultRecipe
	}
	recipe, err := RecipeByName(name)
	if err != nil {
		return nil, err
	}
	st, err := newStepper(m, cfg.Batch, 2e-4, 0.5, recipe)
	if err != nil {
		return nil, err
	}
	defer st.close()
	st.augment = func(p []nn.AugParams) { recipe.drawAug(rng, cfg.Size, p) }
	var avg *ema
	if recipe.EMADecay > 0 {
		avg = newEMA(recipe.EMADecay, m)
	}
	real := make([]float32, cfg.Batch*cfg.Size*cfg.Size)
	z := make([]float32, cfg.Batch*ZDim)
	fill := func() {
		for i := range real {
			real[i] = rng.Float32()*2 - 1
		}
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
	}
	res := &BenchResult{Size: cfg.Size, Recipe: name, Batch: cfg.Batch, Steps: cfg.Steps, BLAS: blas.Backend(), Precision: cfg.Precision.String(), BLASCore: blas.CoreType(),
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
	for _, p := range append(m.gParams(), m.dParams()...) {
		res.Params += len(p.Data)
	}
	var cpu0 time.Duration
	for i := 0; i <= cfg.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fill()
		if i == 1 {
			cpu0 = cpuTime()
		}
		t0 := time.Now()
		if _, _, err := st.step(real, z); err != nil {
			return nil, err
		}
		t1 := time.Now()
		if avg != nil {
			avg.update(m, int64(i+1))
		}
		if i > 0 { // the first step allocates every buffer
			res.StepSeconds = append(res.StepSeconds, t1.Sub(t0).Seconds())
			res.MeanSecondsPerStep += time.Since(t0).Seconds() / float64(cfg.Steps)
		}
	}
	res.CPUPerStep = (cpuTime() - cpu0).Seconds() / float64(cfg.Steps)
	res.SecondsPerStep = median(res.StepSeconds)
	res.RealImagesPerS = float64(cfg.Batch) / res.SecondsPerStep
	res.GFLOPPerStep = float64(st.flops()) / 1e9
	res.GFLOPS = res.GFLOPPerStep / res.SecondsPerStep

	sm, err := newSampler(m, cfg.Batch)
	if err != nil {
		return nil, err
	}
	defer sm.m.Close()
	var gen []float64
	for i := 0; i <= cfg.GenBatches; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for j := range z {
			z[j] = float32(rng.NormFloat64())
		}
		if i == 1 {
			cpu0 = cpuTime()
		}
		t0 := time.Now()
		if _, err := sm.run(z); err != nil {
			return nil, err
		}
		if i > 0 {
			gen = append(gen, time.Since(t0).Seconds())
		}
	}
	res.GenCPUPerBatch = (cpuTime() - cpu0).Seconds() / float64(cfg.GenBatches)
	res.GenBatchSeconds = median(gen)
	res.GenImagesPerS = float64(cfg.Batch) / res.GenBatchSeconds
	res.PeakRSSBytes = sysinfo.PeakRSS()
	return res, nil
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
