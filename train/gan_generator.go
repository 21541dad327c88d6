package train

import (
	"context"
	"errors"
	"fmt"
)

// Generator samples a trained DCGAN's generator in eval mode (running BatchNorm statistics), so
// every image depends only on the checkpoint, the seed and its sample number.
type Generator struct {
	Class   string
	Size    int
	SHA256  string // hex sha256 of the checkpoint file
	Weights string // WeightsLast or WeightsEMA
	// Precision of the generation's matrix products: FP32 after loading, whatever the training
	// used ([Generator.SetPrecision] changes it). The same checkpoint, seed and precision give
	// the same images.
	Precision Precision
	m         *dcgan
	sm        *sampler
	z         []float32
}

// Which generator weights to sample.
const (
	WeightsDefault = ""     // what the checkpoint's recipe samples
	WeightsLast    = "last" // the generator's weights after its last step
	WeightsEMA     = "ema"  // the moving average of its weights
)

// ErrNoEMA is returned when the moving average is asked of a checkpoint without one.
var ErrNoEMA = errors.New("checkpoint has no moving average of the generator's weights")

// LoadGenerator loads the generator of a DCGAN checkpoint with the weights its recipe samples;
// batch is how many images it makes per pass (64 is a good default).
func LoadGenerator(path string, batch int) (*Generator, error) {
	return LoadGeneratorWeights(path, batch, WeightsDefault)
}

// LoadGeneratorWeights is [LoadGenerator] with a choice of weights (WeightsLast, WeightsEMA or
// WeightsDefault), for comparing the two.
func LoadGeneratorWeights(path string, batch int, weights string) (*Generator, error) {
	c, sha, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	meta, m, err := ganFromCheckpoint(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if weights == WeightsDefault {
		weights = WeightsLast
		if meta.Recipe.SampleEMA {
			weights = WeightsEMA
		}
	}
	switch weights {
	case WeightsLast:
	case WeightsEMA:
		if meta.Recipe.EMADecay == 0 {
			return nil, fmt.Errorf("%s: %w", path, ErrNoEMA)
		}
		avg := newEMA(meta.Recipe.EMADecay, m)
		if err := loadEMA(c, m, avg); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		avg.swap(m)
	default:
		return nil, fmt.Errorf("weights %q: want %s or %s", weights, WeightsLast, WeightsEMA)
	}
	m.prec = FP32
	sm, err := newSampler(m, max(1, batch))
	if err != nil {
		return nil, err
	}
	return &Generator{Class: meta.Class, Size: meta.Arch.Size, SHA256: sha, Weights: weights, m: m, sm: sm, z: make([]float32, sm.batch*ZDim)}, nil
}

// Generate makes n images (Size·Size float32 in [-1, 1], row-major) for samples firstSample …
// firstSample+n-1 of the seed's latent stream (see [LatentZ]).
func (g *Generator) Generate(ctx context.Context, n int, seed uint64, firstSample int64) ([][]float32, error) {
	pix := g.Size * g.Size
	out := make([][]float32, 0, n)
	for done := 0; done < n; done += g.sm.batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := min(g.sm.batch, n-done)
		clear(g.z)
		LatentZ(g.z, seed, firstSample+int64(done), k)
		imgs, err := g.sm.run(g.z)
		if err != nil {
			return nil, err
		}
		for i := 0; i < k; i++ {
			out = append(out, append([]float32(nil), imgs[i*pix:(i+1)*pix]...))
		}
	}
	return out, nil
}

// SetPrecision rebuilds the generator to run its matrix products in precision p.
func (g *Generator) SetPrecision(p Precision) error {
	if p == g.Precision {
		return nil
	}
	g.m.prec = p
	sm, err := newSampler(g.m, g.sm.batch)
	if err != nil {
		return err
	}
	g.sm.m.Close()
	g.sm, g.Precision = sm, p
	return nil
}

// Close releases the generator.
func (g *Generator) Close() error { return g.sm.m.Close() }
