package ingest

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/workspace"
)

// The acceptance figures of issue 2 on the shared nih1000_64 set.
func TestNIH1000Acceptance(t *testing.T) {
	for _, tc := range []struct {
		policy   string
		accepted int
		perClass map[string]int
	}{
		{PolicySingle, 607, map[string]int{"normal": 499, "effusion": 65, "cardiomegaly": 26, "pneumothorax": 16, "edema": 1}},
		{PolicyPrimary, 718, nil},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			dir := t.TempDir()
			if tc.policy == PolicySingle {
				dir = sharedSingle(t)
			} else {
				mustRun(t, nihConfig(t, dir, tc.policy))
			}
			rep := readReport(t, dir)
			idx := readIndex(t, dir)
			if len(idx) != tc.accepted || rep.Files.Accepted != tc.accepted || rep.Totals.Train+rep.Totals.Holdout != tc.accepted {
				t.Fatalf("accepted %d (report %d), want %d", len(idx), rep.Files.Accepted, tc.accepted)
			}
			if rep.Files.Rejected != 1000-tc.accepted || len(rep.Rejected) != 1000-tc.accepted {
				t.Fatalf("rejected %d, want %d with reasons", rep.Files.Rejected, 1000-tc.accepted)
			}
			got := map[string]int{}
			for _, r := range idx {
				got[r.Class]++
			}
			if tc.perClass != nil && !maps.Equal(got, tc.perClass) {
				t.Fatalf("per class %v, want %v", got, tc.perClass)
			}
			// Patient-disjoint, checked on the pseudonyms and on the source patient ids.
			split := map[string]string{}
			for _, r := range idx {
				if s, ok := split[r.Patient]; ok && s != r.Split {
					t.Fatalf("patient %s in both splits", r.Patient)
				}
				split[r.Patient] = r.Split
			}
			if rep.PatientsInBothSplits != 0 {
				t.Fatal("report counts patients in both splits")
			}
			// Roughly 30% held out overall, and every class with enough patients is split.
			frac := float64(rep.Totals.Holdout) / float64(tc.accepted)
			if frac < 0.25 || frac > 0.35 {
				t.Fatalf("held-out fraction %.2f, want about 0.3", frac)
			}
			for _, c := range []string{"normal", "effusion", "cardiomegaly", "pneumothorax"} {
				if rep.Classes[c].Holdout == 0 {
					t.Errorf("class %s has no held-out images: %+v", c, rep.Classes[c])
				}
			}
			for _, r := range idx {
				b, err := os.ReadFile(filepath.Join(dir, "real", "images", r.ID+".png"))
				if err != nil {
					t.Fatal(err)
				}
				if sha(b) != r.SHA256 {
					t.Fatalf("image %s: sha256 differs from the index", r.ID)
				}
			}
		})
	}
}

// Re-running on the same inputs gives byte-identical index and source map, without decoding
// again; a second workspace with the same seed splits the same source files the same way, and
// another seed splits differently.
func TestDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), sharedSingle(t), t.TempDir()
	mustRun(t, nihConfig(t, a, PolicySingle))
	idx1, _ := os.ReadFile(filepath.Join(a, "real", "index.csv"))
	map1, _ := os.ReadFile(filepath.Join(a, "private", "source-map.csv"))
	rep := mustRun(t, nihConfig(t, a, PolicySingle))
	idx2, _ := os.ReadFile(filepath.Join(a, "real", "index.csv"))
	map2, _ := os.ReadFile(filepath.Join(a, "private", "source-map.csv"))
	if !bytes.Equal(idx1, idx2) || !bytes.Equal(map1, map2) {
		t.Fatal("re-run changed the index or the source map")
	}
	if rep.Files.Resumed != 607 || rep.Files.New != 0 {
		t.Fatalf("re-run: resumed %d new %d, want 607 and 0", rep.Files.Resumed, rep.Files.New)
	}
	if !maps.Equal(bySource(t, a), bySource(t, b)) {
		t.Fatal("two workspaces with the same seed split the same files differently")
	}
	cfg := nihConfig(t, c, PolicySingle)
	cfg.Seed, cfg.SeedSet = 2, true
	mustRun(t, cfg)
	if maps.Equal(bySource(t, a), bySource(t, c)) {
		t.Fatal("seed 2 gave the same split as seed 1")
	}
	// An existing workspace refuses another seed.
	cfg.Workspace = a
	if _, err := Run(t.Context(), cfg); err == nil {
		t.Fatal("workspace accepted a different seed")
	}
}

// Adding files later keeps every existing image's patient and split.
func TestStableWhenFilesAdded(t *testing.T) {
	d := datatest.Require(t)
	src := filepath.Join(d, "nih1000_64", "images")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	in := t.TempDir()
	link := func(from, to int) {
		for _, e := range entries[from:to] {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(in, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	link(0, 400)
	ws := t.TempDir()
	cfg := nihConfig(t, ws, PolicySingle)
	cfg.From = in
	mustRun(t, cfg)
	before := readIndex(t, ws)
	link(400, len(entries))
	rep := mustRun(t, cfg)
	after := map[string]workspace.RealImage{}
	for _, r := range readIndex(t, ws) {
		after[r.ID] = r
	}
	if len(after) != 607 || rep.Files.New != 607-len(before) {
		t.Fatalf("after adding: %d images, %d new; want 607 and %d", len(after), rep.Files.New, 607-len(before))
	}
	for _, r := range before {
		if after[r.ID] != r {
			t.Fatalf("image %s changed from %+v to %+v", r.ID, r, after[r.ID])
		}
	}
}

// --keep keeps the given fraction of a class's train patients and leaves the holdout alone.
func TestKeep(t *testing.T) {
	full, kept := sharedSingle(t), t.TempDir()
	repFull := readReport(t, full)
	cfg := nihConfig(t, kept, PolicySingle)
	cfg.Keep = map[string]float64{"normal": 0.1}
	rep := mustRun(t, cfg)
	n := repFull.Classes["normal"].TrainPatients
	want := int(float64(n)*0.1 + 0.5)
	if got := rep.Classes["normal"].TrainPatients; got != want {
		t.Fatalf("normal train patients %d, want %d of %d", got, want, n)
	}
	if rep.Classes["normal"].Holdout != repFull.Classes["normal"].Holdout || rep.Classes["effusion"].Train != repFull.Classes["effusion"].Train {
		t.Fatal("--keep normal changed the holdout or another class")
	}
	if rep.DroppedByKeep["normal"] != repFull.Classes["normal"].Train-rep.Classes["normal"].Train {
		t.Fatalf("dropped %d, but train went from %d to %d", rep.DroppedByKeep["normal"], repFull.Classes["normal"].Train, rep.Classes["normal"].Train)
	}
	fullBy := bySource(t, full)
	for src, cs := range bySource(t, kept) {
		if fullBy[src] != cs {
			t.Fatalf("--keep moved an image from %s to %s", fullBy[src], cs)
		}
	}
}
