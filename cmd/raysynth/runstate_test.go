package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunStateRoundTripAndDamage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run", "state.json")
	st, err := loadRunState(p)
	if err != nil || len(st.Stages) != 0 {
		t.Fatalf("missing state: %v %v", st, err)
	}
	st.Stages["ingest"] = &stageRecord{Status: stageDone, Inputs: "a", Outputs: "b", Started: time.Unix(1, 0).UTC()}
	if err := st.save(p); err != nil {
		t.Fatal(err)
	}
	back, err := loadRunState(p)
	if err != nil || back.Stages["ingest"].Outputs != "b" || back.Stages["ingest"].Status != stageDone {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, tc := range []struct{ name, content, want string }{
		{"damaged", "{not json", "damaged"},
		{"future", `{"version": 99, "stages": {}}`, "format 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadRunState(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v, want an error naming %s and %q", err, p, tc.want)
			}
		})
	}
}

func TestHasherSeesEveryInput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "index.csv")
	os.WriteFile(f, []byte("id,class\n1,normal\n"), 0o644)
	sum := func(opt any) string {
		h := &hasher{}
		h.add("options", opt)
		h.file("index", f)
		h.tree("from", dir)
		s, err := h.sum()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := sum(trainGANOptions{epochs: 3})
	if sum(trainGANOptions{epochs: 3}) != base {
		t.Fatal("same inputs, different hash")
	}
	if sum(trainGANOptions{epochs: 4}) == base {
		t.Error("changed option, same hash")
	}
	os.WriteFile(f, []byte("id,class\n1,effusion\n"), 0o644)
	if sum(trainGANOptions{epochs: 3}) == base {
		t.Error("changed file, same hash")
	}
	h := &hasher{}
	h.file("absent", filepath.Join(dir, "nothere"))
	if _, err := h.sum(); err != nil {
		t.Errorf("a missing file is an input state, not an error: %v", err)
	}
	h.tree("missing", filepath.Join(dir, "nothere"))
	if _, err := h.sum(); err == nil {
		t.Error("a missing --from folder must be an error")
	}
}
