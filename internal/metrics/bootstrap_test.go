package metrics

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// A test set of 200 images, 150 of class 0 and 50 of class 1, and three repeats of two regimes:
// A misses class 1 often; B finds it almost always.
func bootstrapFixture() (truth []int, predA, predB [][]int) {
	r := rand.New(rand.NewPCG(7, 8))
	truth = make([]int, 200)
	for i := 150; i < 200; i++ {
		truth[i] = 1
	}
	for rep := 0; rep < 3; rep++ {
		a, b := make([]int, 200), make([]int, 200)
		for i, t := range truth {
			a[i], b[i] = t, t
			if t == 1 && r.Float64() < 0.7 {
				a[i] = 0
			}
			if t == 1 && r.Float64() < 0.05 {
				b[i] = 0
			}
			if t == 0 && r.Float64() < 0.05 {
				b[i] = 1
			}
		}
		predA, predB = append(predA, a), append(predB, b)
	}
	return truth, predA, predB
}

func TestBootstrapDeterministicForSeed(t *testing.T) {
	truth, a, b := bootstrapFixture()
	cfg := BootstrapConfig{Classes: []string{"normal", "virus"}, Seed: 42, Resamples: 500}
	d1, err := PairedBootstrap(cfg, truth, a, b)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := PairedBootstrap(cfg, truth, a, b)
	if !reflect.DeepEqual(d1, d2) {
		t.Fatalf("same seed, different results:\n%+v\n%+v", d1, d2)
	}
	cfg.Seed = 43
	d3, _ := PairedBootstrap(cfg, truth, a, b)
	if d3[1].Lo == d1[1].Lo && d3[1].Hi == d1[1].Hi {
		t.Errorf("another seed gave the identical interval %v..%v", d1[1].Lo, d1[1].Hi)
	}
	if d1[1].Seed != 42 || d3[1].Seed != 43 {
		t.Errorf("seed not recorded: %d, %d", d1[1].Seed, d3[1].Seed)
	}
}

func TestBootstrapBeyondNoise(t *testing.T) {
	truth, a, b := bootstrapFixture()
	d, err := PairedBootstrap(BootstrapConfig{Classes: []string{"normal", "virus"}, Seed: 1, NameA: "real only", NameB: "real + synthetic"}, truth, a, b)
	if err != nil {
		t.Fatal(err)
	}
	v := d[1]
	// Observed sensitivities pooled over the 3 repeats: count them directly.
	var hitA, hitB int
	for r := range a {
		for i := 150; i < 200; i++ {
			if a[r][i] == 1 {
				hitA++
			}
			if b[r][i] == 1 {
				hitB++
			}
		}
	}
	if !near(float64(v.A), float64(hitA)/150) || !near(float64(v.B), float64(hitB)/150) || !near(float64(v.Diff), float64(v.B-v.A)) {
		t.Errorf("observed A %v B %v diff %v; want %g, %g", v.A, v.B, v.Diff, float64(hitA)/150, float64(hitB)/150)
	}
	if !v.Beyond || !(v.Lo > 0) || !(v.Lo < v.Diff && v.Diff < v.Hi) || float64(v.PShare) > 0.01 || v.Resamples != 2000 {
		t.Errorf("virus: %+v", v)
	}
	if !strings.Contains(v.Statement, "virus sensitivity: real + synthetic higher than real only by +0.") || !strings.Contains(v.Statement, "beyond noise") {
		t.Errorf("statement %q", v.Statement)
	}
	// B trades a little normal sensitivity: a small drop, CI below zero or within noise, but stated.
	if d[0].Diff >= 0 || d[0].Statement == "" {
		t.Errorf("normal: %+v", d[0])
	}
}

func TestBootstrapWithinNoise(t *testing.T) {
	truth, a, _ := bootstrapFixture()
	// B equals A except for one image of one repeat.
	b := [][]int{append([]int(nil), a[0]...), a[1], a[2]}
	b[0][160] = 1 - b[0][160]
	d, err := PairedBootstrap(BootstrapConfig{Classes: []string{"normal", "virus"}, Seed: 9}, truth, a, b)
	if err != nil {
		t.Fatal(err)
	}
	v := d[1]
	if v.Beyond || !(v.Lo <= 0 && v.Hi >= 0) || float64(v.PShare) < 0.05 || !strings.Contains(v.Statement, "within noise") {
		t.Errorf("%+v", v)
	}
	// Identical regimes: difference exactly zero everywhere.
	d, _ = PairedBootstrap(BootstrapConfig{Classes: []string{"normal", "virus"}, Seed: 9}, truth, a, a)
	for _, x := range d {
		if x.Diff != 0 || x.Lo != 0 || x.Hi != 0 || x.PShare != 1 || x.Beyond {
			t.Errorf("identical: %+v", x)
		}
	}
}

func TestBootstrapTooFewImages(t *testing.T) {
	truth := []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	p := [][]int{{0, 0, 0, 0, 0, 0, 0, 0, 1, 0}}
	d, err := PairedBootstrap(BootstrapConfig{Classes: []string{"normal", "rare"}, Seed: 1}, truth, p, p)
	if err != nil {
		t.Fatal(err)
	}
	if d[1].Diff.Defined() || d[1].Lo.Defined() || !strings.Contains(d[1].Statement, "too few test images") {
		t.Errorf("%+v", d[1])
	}
}

func TestBootstrapBadInput(t *testing.T) {
	truth, a, b := bootstrapFixture()
	cls := []string{"n", "v"}
	for _, tc := range []struct {
		name string
		cfg  BootstrapConfig
		a, b [][]int
	}{
		{"unknown metric", BootstrapConfig{Classes: cls, Metric: "auc"}, a, b},
		{"too few resamples", BootstrapConfig{Classes: cls, Resamples: 10}, a, b},
		{"level", BootstrapConfig{Classes: cls, Level: 1.5}, a, b},
		{"no repeats", BootstrapConfig{Classes: cls}, nil, b},
		{"short repeat", BootstrapConfig{Classes: cls}, [][]int{a[0][:10]}, b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PairedBootstrap(tc.cfg, truth, tc.a, tc.b); err == nil {
				t.Error("no error")
			}
		})
	}
}
