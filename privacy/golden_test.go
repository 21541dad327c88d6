package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenSets makes a deterministic data set of 8-bit 64×64 images (smooth random waves and
// noise, quantised like a workspace PNG): 1,100 training and 1,100 holdout films of two classes,
// two films per patient, and 160 synthetic candidates of which 8 are shifted or contrast-changed
// copies of training films.
func goldenSets() (Sets, [][]uint8) {
	const size = 64
	rng := rand.New(rand.NewPCG(20, 26))
	img := func() []uint8 {
		var fx, fy, ph [5]float64
		for k := range fx {
			fx[k], fy[k], ph[k] = rng.Float64()*0.3, rng.Float64()*0.3, rng.Float64()*2*math.Pi
		}
		px := make([]uint8, size*size)
		for y := range size {
			for x := range size {
				v := 0.0
				for k := range fx {
					v += 0.18 * math.Sin(fx[k]*float64(x)+fy[k]*float64(y)+ph[k])
				}
				v += 0.05 * rng.NormFloat64()
				px[y*size+x] = uint8(math.Round(127.5 * (math.Max(-1, math.Min(1, v)) + 1)))
			}
		}
		return px
	}
	toFloat := func(p []uint8) []float32 {
		out := make([]float32, len(p))
		for i, v := range p {
			out[i] = float32(v)/127.5 - 1
		}
		return out
	}
	classes := []string{"normal", "effusion"}
	var gray [][]uint8
	mk := func(n int, prefix string) []Sample {
		out := make([]Sample, n)
		for i := range out {
			g := img()
			gray = append(gray, g)
			out[i] = Sample{ID: fmt.Sprintf("%s%05d", prefix, i), Class: classes[(i/2)%2], Patient: fmt.Sprintf("%s-p%04d", prefix, i/2), Pixels: toFloat(g)}
		}
		return out
	}
	sets := Sets{Size: size}
	sets.Train = mk(1100, "t")
	sets.Holdout = mk(1100, "h")
	for i := range 160 {
		var g []uint8
		if i%20 == 7 {
			// a copy of a training film, shifted by up to 2 pixels and with another contrast
			src := gray[(i*37)%1100]
			dx, dy := i%5-2, (i/5)%5-2
			g = make([]uint8, size*size)
			for y := range size {
				for x := range size {
					sx, sy := min(max(x+dx, 0), size-1), min(max(y+dy, 0), size-1)
					g[y*size+x] = uint8(min(255, 20+int(src[sy*size+sx])*9/10))
				}
			}
		} else {
			g = img()
		}
		gray = append(gray, g)
		sets.Synthetic = append(sets.Synthetic, Sample{ID: fmt.Sprintf("s%04d", i), Class: classes[i%2], Pixels: toFloat(g)})
	}
	return sets, gray
}

// poolEmbedder is a learned-embedding stand-in with exact, batch-independent output: 8×8 average
// pooling of a 64×64 image (64 dimensions).
type poolEmbedder struct{}

func (poolEmbedder) Name() string { return "pool8" }

func (poolEmbedder) Embed(_ context.Context, images [][]float32) ([][]float32, error) {
	out := make([][]float32, len(images))
	for i, im := range images {
		v := make([]float32, 64)
		for y := range 64 {
			for x := range 64 {
				v[(y/8)*8+x/8] += im[y*64+x] / 64
			}
		}
		out[i] = v
	}
	return out, nil
}

// TestEvaluateGolden pins the whole evaluation (every check, every per-image distance, the
// histogram distances) of a fixed data set, in pixel space and in a learned embedding. The golden
// file was written by the evaluation as it was before references were held as 8-bit pixels and
// converted per block (with one block of 2,048 references): the compact search must reproduce it,
// from float32 or 8-bit pixels and whatever the block size: every verdict, flag, count and string
// exactly, every number to 1e-6 relative (the BLAS kernel OpenBLAS picks for the CPU changes the
// last float32 bits of a few distances: CI's SkylakeX kernel moved a mean 1.09608022 to 1.09608021).
func TestEvaluateGolden(t *testing.T) {
	for _, tc := range []struct {
		name      string
		gray      bool
		blockRefs int
	}{{"float32 pixels", false, 0}, {"8-bit pixels in blocks of 256 references", true, 256}} {
		t.Run(tc.name, func(t *testing.T) {
			sets, gray := goldenSets()
			if tc.gray {
				k := 0
				for _, g := range [][]Sample{sets.Train, sets.Holdout, sets.Synthetic} {
					for i := range g {
						g[i].Pixels, g[i].Gray = nil, gray[k]
						k++
					}
				}
			}
			ev, err := Evaluate(context.Background(), sets, EvalConfig{Policy: DefaultPolicy(), Embedders: []Embedder{poolEmbedder{}}, Seed: 7, BlockRefs: tc.blockRefs})
			if err != nil {
				t.Fatal(err)
			}
			got := goldenJSON(t, ev)
			p := filepath.Join("testdata", "evaluate_golden.json")
			if *update && !tc.gray {
				if err := os.WriteFile(p, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(got, want); d != "" {
				t.Fatalf("evaluation differs from %s:\n%s\n%s", p, d, firstDiff(got, want))
			}
			if len(ev.Flagged) < 8 {
				t.Errorf("flagged %d images, want at least the 8 planted copies", len(ev.Flagged))
			}
		})
	}
}

func goldenJSON(t *testing.T, ev *Evaluation) []byte {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		*Evaluation
		Distances map[string]DistancePair `json:"distances"`
	}{ev, ev.Distances}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(la), len(lb))
}

// jsonDiff compares two JSON documents: strings, booleans, nulls and structure exactly, numbers to
// 1e-6 relative (1e-9 absolute near 0). It returns the path of the first difference, or "".
func jsonDiff(a, b []byte) string {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return "got: " + err.Error()
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return "want: " + err.Error()
	}
	return jsonValueDiff("$", x, y)
}

func jsonValueDiff(path string, x, y any) string {
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok || len(xv) != len(yv) {
			return path + ": different objects"
		}
		for k, v := range xv {
			w, ok := yv[k]
			if !ok {
				return path + "." + k + ": missing from want"
			}
			if d := jsonValueDiff(path+"."+k, v, w); d != "" {
				return d
			}
		}
	case []any:
		yv, ok := y.([]any)
		if !ok || len(xv) != len(yv) {
			return path + ": different arrays"
		}
		for i := range xv {
			if d := jsonValueDiff(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i]); d != "" {
				return d
			}
		}
	case float64:
		yv, ok := y.(float64)
		if !ok || math.Abs(xv-yv) > max(1e-9, 1e-6*math.Abs(yv)) {
			return fmt.Sprintf("%s: got %v, want %v", path, x, y)
		}
	default:
		if x != y {
			return fmt.Sprintf("%s: got %v, want %v", path, x, y)
		}
	}
	return ""
}
