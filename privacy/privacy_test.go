package privacy

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// plantLeaks makes n leaks of every kind from random training images; it returns them and the
// candidate ids they will get when appended after `offset` other candidates (see testWorkspace).
func plantLeaks(train []realImage, n int, seed uint64) []realImage {
	rng := rand.New(rand.NewPCG(seed, 99))
	var out []realImage
	for _, lk := range leakKinds {
		for range n {
			src := train[rng.IntN(len(train))]
			out = append(out, realImage{file: lk.name + "-" + src.file, class: src.class, img: lk.make(src.img, rng)})
		}
	}
	return out
}

func candidateID(class string, i int) string { return "s-" + class + "-" + pad5(i) }

func pad5(i int) string {
	s := "00000" + itoa(i)
	return s[len(s)-5:]
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestPlantedLeaksAreCaught plants exact copies, noisy copies (σ = 0.02 of the range), copies
// shifted by 2 pixels and contrast-changed copies of training images among real images of unseen
// patients: the gate must fail and every planted image must be flagged, and no unseen image.
func TestPlantedLeaksAreCaught(t *testing.T) {
	imgs := loadShared(t, "nih", 64)
	train, hold := splitPatients(imgs, 0.5, 7)
	unseen, h := splitPatients(hold, 0.5, 8)
	leaks := plantLeaks(train, 4, 1)
	cands := append(slices.Clone(unseen), leaks...)
	ws := testWorkspace(t, 64, train, h, cands)
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), PolicySource: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed {
		t.Fatal("gate passed with planted copies of training images")
	}
	flagged := map[string]bool{}
	for _, id := range res.Flagged {
		flagged[id] = true
	}
	for i, m := range cands {
		id := candidateID(m.class, i)
		planted := i >= len(unseen)
		switch {
		case planted && !flagged[id]:
			t.Errorf("planted leak %s (%s) not flagged", id, m.file)
		case !planted && flagged[id]:
			t.Errorf("real image of an unseen patient %s flagged as a copy", id)
		}
	}
	var memFailed bool
	for _, c := range res.Failed {
		if c.Name == "memorized_images" && c.Class == "" {
			memFailed = true
			if int(c.Value) != len(leaks) {
				t.Errorf("memorized_images = %v, want %d", c.Value, len(leaks))
			}
		}
	}
	if !memFailed {
		t.Errorf("memorized_images check did not fail: %+v", res.Failed)
	}
	if _, err := os.Stat(ws.ApprovedIndexPath()); err == nil {
		t.Error("an approved set was written although the gate failed")
	}
	checkSummaryIsPublic(t, ws.PrivacySummaryPath(), append(train, h...))
	html, err := os.ReadFile(ws.PrivacyHTMLPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PRIVATE", "gate FAILED", "data:image/png;base64,", "memorized_images"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// checkSummaryIsPublic fails when summary.json names a real image, a patient or a path.
func checkSummaryIsPublic(t *testing.T, path string, real []realImage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for _, k := range []string{"passed", "failed_checks", "policy", "checks", "counts", "embedding", "filter"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary.json lacks %q (contract.PrivacySummary)", k)
		}
	}
	s := string(b)
	for _, m := range real {
		id := strings.TrimSuffix(m.file, ".png")
		if strings.Contains(s, id) || strings.Contains(s, "p-"+m.patient+"\"") {
			t.Fatalf("summary.json names real image or patient %s", id)
		}
	}
	for _, bad := range []string{"/tmp", "real/", ".png", "nearest_train"} {
		if strings.Contains(s, bad) {
			t.Errorf("summary.json contains %q", bad)
		}
	}
}

// TestHoldoutAsSyntheticPasses passes real images of unseen patients off as synthetic (half of the
// holdout patients play S, the other half H): they are no copies of training patients, so the
// gate must pass and nothing may be flagged. Kermany at 64×64, three classes.
func TestHoldoutAsSyntheticPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 5,216 real images")
	}
	imgs := loadShared(t, "kermany", 64)
	train, hold := splitPatients(imgs, 0.5, 7)
	s, h := splitPatients(hold, 0.5, 8)
	ws := testWorkspace(t, 64, train, h, s)
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), PolicySource: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Flagged) > 0 {
		t.Errorf("%d real images of unseen patients flagged as copies: %v", len(res.Flagged), res.Flagged[:min(5, len(res.Flagged))])
	}
	if !res.Passed {
		for _, c := range res.Failed {
			t.Errorf("check %s failed: value %.4f bound %.4f %s %.4f %s", c.ID(), c.Value, c.Bound, c.Rule, c.Threshold, c.Note)
		}
	}
	for _, c := range res.Summary.Checks {
		t.Logf("%-28s %-9s value %8.4f bound %8.4f %s %8.4f passed %v", c.Name, c.Class, c.Value, c.Bound, c.Rule, c.Threshold, c.Passed)
	}
	idx, err := os.ReadFile(ws.ApprovedIndexPath())
	if err != nil {
		t.Fatalf("no approved set after a passing gate: %v", err)
	}
	if got := strings.Count(string(idx), "\n") - 1; got != len(s) {
		t.Errorf("approved %d images, want all %d", got, len(s))
	}
	checkSummaryIsPublic(t, ws.PrivacySummaryPath(), append(train, h...))
}
