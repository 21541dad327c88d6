package synth

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
)

// Generators samples the workspace's trained generators by class. It satisfies privacy's
// Generator interface (privacy.Generator): images are float32 in [-1, 1], row-major size×size, and
// sample k of a seed is the same image whatever batch it is made in (up to float rounding).
type Generators struct {
	ws    *workspace.Workspace
	batch int
	mu    sync.Mutex
	gens  map[string]*train.Generator
}

// NewGenerators returns a sampler of the workspace's generators making batch images per pass.
func NewGenerators(ws *workspace.Workspace, batch int) *Generators {
	if batch <= 0 {
		batch = 64
	}
	return &Generators{ws: ws, batch: batch, gens: map[string]*train.Generator{}}
}

func (g *Generators) get(class string) (*train.Generator, error) {
	if gen, ok := g.gens[class]; ok {
		return gen, nil
	}
	p := filepath.Join(g.ws.GANDir(class), train.CheckpointFile)
	gen, err := train.LoadGenerator(p, g.batch)
	if err != nil {
		return nil, fmt.Errorf("generator of class %s: %w", class, err)
	}
	g.gens[class] = gen
	return gen, nil
}

// Generate makes n images of a class for samples firstSample … firstSample+n-1 of seed: the
// same images `raysynth synth` writes for those sample numbers.
func (g *Generators) Generate(ctx context.Context, class string, n int, seed uint64, firstSample int64) ([][]float32, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gen, err := g.get(class)
	if err != nil {
		return nil, err
	}
	return gen.Generate(ctx, n, seed, firstSample)
}

// Checkpoint returns the sha256 of a class's generator checkpoint.
func (g *Generators) Checkpoint(class string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gen, err := g.get(class)
	if err != nil {
		return "", err
	}
	return gen.SHA256, nil
}

// Close releases every loaded generator.
func (g *Generators) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, gen := range g.gens {
		gen.Close()
	}
	g.gens = map[string]*train.Generator{}
	return nil
}
