package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

// baseConfig is a config with the CLI's defaults.
func baseConfig(from, ws string) Config {
	return Config{From: from, Workspace: ws, LabelPolicy: PolicySingle, Aspect: imageio.AspectCrop, Holdout: 0.3, Seed: 1}
}

func nihConfig(t testing.TB, ws, policy string) Config {
	d := datatest.Require(t)
	c := baseConfig(filepath.Join(d, "nih1000_64", "images"), ws)
	c.Labels = filepath.Join(d, "nih1000_64", "labels.csv")
	c.Classes = []string{"normal", "cardiomegaly", "effusion", "edema", "pneumothorax"}
	c.LabelPolicy = policy
	return c
}

func mustRun(t testing.TB, cfg Config) *Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return rep
}

func readIndex(t testing.TB, dir string) []workspace.RealImage {
	t.Helper()
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := ws.ReadRealIndex()
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// bySource maps source path → "class/split" from a workspace's private source map (indexed rows).
func bySource(t testing.TB, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "private", "source-map.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		if r[7] == "yes" {
			out[r[8]] = r[2] + "/" + r[3]
		}
	}
	return out
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var (
	sharedOnce sync.Once
	sharedDir  string
	sharedErr  error
)

// TestMain removes the shared reference workspace after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// sharedSingle returns a workspace holding a complete ingest of nih1000_64 with the five classes
// and --label-policy single, made once per test run. Tests must not modify it.
func sharedSingle(t testing.TB) string {
	t.Helper()
	datatest.Require(t)
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "ingest-shared-")
		if sharedErr == nil {
			_, sharedErr = Run(context.Background(), nihConfig(t, sharedDir, PolicySingle))
		}
	})
	if sharedErr != nil {
		t.Fatalf("shared reference ingest: %v", sharedErr)
	}
	return sharedDir
}

func readReport(t testing.TB, dir string) *Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ingest", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}
