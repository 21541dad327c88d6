package privacy

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteForce returns the k nearest references of every query by float64 distances.
func bruteForce(q, r Vectors, k int, qg, rg []int32) [][]Neighbor {
	out := make([][]Neighbor, q.Len())
	for i := range out {
		var ns []Neighbor
		for j := range r.Len() {
			if qg != nil && qg[i] >= 0 && qg[i] == rg[j] {
				continue
			}
			ns = append(ns, Neighbor{j, l2(q.Row(i), r.Row(j))})
		}
		slices.SortFunc(ns, func(a, b Neighbor) int {
			if a.Dist != b.Dist {
				if a.Dist < b.Dist {
					return -1
				}
				return 1
			}
			return a.Index - b.Index
		})
		out[i] = ns[:min(k, len(ns))]
	}
	return out
}

func randVectors(rng *rand.Rand, n, dim int) Vectors {
	v := Vectors{Dim: dim, Data: make([]float32, n*dim)}
	for i := range v.Data {
		v.Data[i] = rng.Float32()*2 - 1
	}
	return v
}

func TestSearchMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name                 string
		nq, nr, dim, k, revK int
		blockQ, blockR       int
		self                 bool
	}{
		{"one block", 17, 40, 9, 3, 2, 0, 0, false},
		{"many blocks", 50, 130, 33, 5, 4, 7, 16, false},
		{"k larger than rerank", 20, 90, 8, 30, 0, 6, 11, false},
		{"self with groups", 60, 60, 12, 4, 0, 13, 13, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := randVectors(rng, tc.nq, tc.dim)
			r := randVectors(rng, tc.nr, tc.dim)
			var qg, rg []int32
			if tc.self {
				r = q
				qg = make([]int32, tc.nq)
				for i := range qg {
					qg[i] = int32(i / 3) // three vectors per "patient"
				}
				rg = qg
			}
			fwd, rev, err := Search(context.Background(), SearchConfig{Queries: q, Refs: r, K: tc.k, RevK: tc.revK,
				QGroup: qg, RGroup: rg, Rerank: 8, BlockQueries: tc.blockQ, BlockRefs: tc.blockR})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(q, r, tc.k, qg, rg)
			for i := range want {
				if len(fwd[i]) != len(want[i]) {
					t.Fatalf("query %d: %d neighbours, want %d", i, len(fwd[i]), len(want[i]))
				}
				for p := range want[i] {
					if fwd[i][p].Index != want[i][p].Index || math.Abs(fwd[i][p].Dist-want[i][p].Dist) > 1e-3 {
						t.Fatalf("query %d rank %d: got %+v, want %+v", i, p, fwd[i][p], want[i][p])
					}
					if p < 8 && fwd[i][p].Dist != want[i][p].Dist {
						t.Fatalf("query %d rank %d: re-ranked distance %v is not the float64 distance %v", i, p, fwd[i][p].Dist, want[i][p].Dist)
					}
				}
			}
			if tc.revK > 0 {
				wantRev := bruteForce(r, q, tc.revK, nil, nil)
				for j := range wantRev {
					for p := range wantRev[j] {
						if rev[j][p].Index != wantRev[j][p].Index {
							t.Fatalf("reference %d rank %d: got %+v, want %+v", j, p, rev[j][p], wantRev[j][p])
						}
					}
				}
			}
		})
	}
}

func TestSearchStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rng := rand.New(rand.NewPCG(1, 1))
	_, _, err := Search(ctx, SearchConfig{Queries: randVectors(rng, 4, 3), Refs: randVectors(rng, 4, 3), K: 1})
	if err == nil {
		t.Fatal("no error from a cancelled search")
	}
}

// TestTolerantDistance: 0 for a copy whatever its shift (≤ shift pixels) or linear contrast,
// > 0 for another image, and symmetric enough for both search directions.
func TestTolerantDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const size = 24
	base := make([]float32, size*size)
	other := make([]float32, size*size)
	for y := range size {
		for x := range size {
			base[y*size+x] = float32(math.Sin(float64(x)/3) * math.Cos(float64(y)/4))
			other[y*size+x] = rng.Float32()*2 - 1
		}
	}
	shifted := make([]float32, size*size)
	for y := range size {
		for x := range size {
			sx, sy := min(max(x-2, 0), size-1), min(max(y+1, 0), size-1)
			shifted[y*size+x] = 0.5*base[sy*size+sx] + 0.2
		}
	}
	q := newPixelSet([]Sample{{Pixels: shifted}, {Pixels: other}}, size, 2)
	r := newPixelSet([]Sample{{Pixels: base}}, size, 2)
	out := make([]float64, 1)
	tolerantExact(q, r)(0, []int{0}, out)
	if out[0] > 1e-3 { // float32 storage: √(2−2ρ) turns ρ = 1−4e-9 into 1e-4
		t.Errorf("shifted contrast-changed copy: distance %v, want 0", out[0])
	}
	tolerantExact(q, r)(1, []int{0}, out)
	if out[0] < 0.5 {
		t.Errorf("unrelated image: distance %v, want large", out[0])
	}
}
