package s3test

import (
	"os/exec"
	"strings"
	"testing"
)

// Only tests may import this package: no non-test package of the module lists it.
func TestImportedOnlyByTests(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/raysynth/raysynth/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == "github.com/raysynth/raysynth/publish/s3test" {
				t.Errorf("%s imports s3test outside its tests", f[0])
			}
		}
	}
}

func TestBinMissingSaysWhatToRun(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		env    string
		target string
	}{{MinIO, EnvMinIOBin, "make minio"}, {VersityGW, EnvVersityBin, "make versitygw"}} {
		t.Setenv(tc.env, "")
		if _, err := Bin(tc.kind); err == nil || !strings.Contains(err.Error(), "make test") || !strings.Contains(err.Error(), tc.target) {
			t.Fatalf("%s unset: %v", tc.kind, err)
		}
		t.Setenv(tc.env, t.TempDir()+"/nothere")
		if _, err := Bin(tc.kind); err == nil || !strings.Contains(err.Error(), tc.target) {
			t.Fatalf("%s missing: %v", tc.kind, err)
		}
	}
}

func TestExternalNeedsCredentials(t *testing.T) {
	t.Setenv(EnvEndpoint, "http://127.0.0.1:1")
	t.Setenv(EnvAccessKey, "")
	if k := Kinds(); len(k) != 1 || k[0] != External {
		t.Fatalf("kinds with an endpoint set: %v", k)
	}
	if _, err := StartDir(External, ""); err == nil || !strings.Contains(err.Error(), EnvAccessKey) {
		t.Fatalf("external without credentials: %v", err)
	}
	t.Setenv(EnvEndpoint, "")
	if k := Kinds(); len(k) != 2 {
		t.Fatalf("kinds: %v", k)
	}
}
