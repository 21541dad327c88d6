package archtest

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/raysynth/raysynth"

// allowed lists, for each top-level package of this module, which of this module's packages it may
// import (by prefix, relative to the module). cmd may import anything and is not listed.
var allowed = map[string][]string{
	"ingest":   {"internal/"},
	"train":    {"internal/"},
	"synth":    {"train", "internal/"},
	"evaluate": {"train", "internal/"},
	"privacy":  {"internal/"},
	"manifest": {"internal/contract"},
	"publish":  {"manifest", "internal/contract", "internal/fsutil"},
	"pipeline": {"ingest", "train", "synth", "evaluate", "privacy", "manifest", "publish", "internal/"},
	"internal": {"internal/"},
}

// confined third-party modules may only be imported (directly or not) by packages under these
// prefixes, so their types cannot leak elsewhere.
var confined = map[string][]string{
	"gorgonia.org/":                {"internal/nn", "train", "synth", "cmd/"},
	"github.com/minio/minio-go":    {"publish", "cmd/"},
	"github.com/sigstore/":         {"manifest", "publish", "cmd/"},
	"github.com/suyashkumar/dicom": {"internal/", "ingest", "synth", "train", "evaluate", "privacy", "cmd/"},
}

func TestDependencyDirections(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if !strings.HasPrefix(pkg, module+"/") {
			continue
		}
		rel := strings.TrimPrefix(pkg, module+"/")
		if strings.HasPrefix(rel, "cmd/") {
			continue
		}
		top := strings.SplitN(rel, "/", 2)[0]
		rules, ok := allowed[top]
		if !ok {
			t.Errorf("package %s is not under a known top-level folder; add it to STYLE.md and this test", rel)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := strings.TrimPrefix(imp, module+"/")
			if irel == "cmd" || strings.HasPrefix(irel, "cmd/") {
				t.Errorf("%s imports %s: nothing imports cmd", rel, irel)
				continue
			}
			if isTestHelper(irel) && !isTestHelper(rel) {
				t.Errorf("%s imports the test helper %s: only tests and other test helpers may", rel, irel)
				continue
			}
			if isTestHelper(rel) && isTestHelper(irel) && strings.HasPrefix(irel, "internal/") {
				continue // a test helper (manifest/manifesttest) builds on the internal ones
			}
			if !hasPrefixAny(irel, rules) && !strings.HasPrefix(irel, top+"/") && irel != top {
				t.Errorf("%s imports %s: %s may import only %v", rel, irel, top, rules)
			}
		}
	}
}

func TestConfinedModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		rel := strings.TrimPrefix(fields[0], module+"/")
		if strings.HasPrefix(rel, "internal/archtest") {
			continue
		}
		for _, dep := range fields[1:] {
			for mod, where := range confined {
				if strings.HasPrefix(dep, mod) && !hasPrefixAny(rel, where) {
					t.Errorf("%s imports %s; only %v may", rel, dep, where)
				}
			}
		}
	}
}

// isTestHelper says whether a package of this module is a test helper (s3test, bundletest, …):
// named …test, imported only by tests and other test helpers.
func isTestHelper(rel string) bool {
	return strings.HasSuffix(path.Base(rel), "test") && rel != "internal/archtest"
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == strings.TrimSuffix(p, "/") || strings.HasPrefix(s, p) || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}

// internalLayers puts every plumbing package in a layer: a package may import only packages of
// lower layers (and its own subpackages), so plumbing stays a stack, not a web. Test helpers
// (…test packages) sit on top and are imported only by tests. A new internal package must be
// given a layer here.
var internalLayers = map[string]int{
	"internal/archtest": 0, "internal/blas": 0, "internal/fsutil": 0, "internal/progress": 0,
	"internal/rdp": 0, "internal/sysinfo": 0, "internal/textsafe": 0, "internal/contract": 0, "internal/flagfile": 0,
	"internal/imageio": 1, "internal/chart": 1, "internal/workspace": 1, "internal/nn": 1,
	"internal/metrics": 1,
	"internal/dicomio": 2, "internal/phantom": 2,
	"internal/dicomio/dicomtest": 9, "internal/datatest": 9, "internal/bundletest": 9, "internal/imageio/pngtest": 9, "internal/workspace/wstest": 9,
}

func TestInternalLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		rel := strings.TrimPrefix(fields[0], module+"/")
		layer, ok := internalLayers[rel]
		if !ok {
			t.Errorf("%s has no layer: add it to internalLayers in this test (and to docs/architecture.md)", rel)
			continue
		}
		for _, imp := range fields[1:] {
			irel, ok := strings.CutPrefix(imp, module+"/")
			if !ok || strings.HasPrefix(irel, rel+"/") {
				continue
			}
			il, known := internalLayers[irel]
			switch {
			case !strings.HasPrefix(irel, "internal/"):
				t.Errorf("%s imports the stage %s: plumbing never imports a stage", rel, irel)
			case known && il >= layer:
				t.Errorf("%s (layer %d) imports %s (layer %d): plumbing imports only lower layers", rel, layer, irel, il)
			}
		}
	}
}
