package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript scripts run the real raysynth command in-process as a subprocess.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"raysynth": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// sharedData returns the folder of the shared real data (RAYSYNTH_TESTDATA or ../../../shared/data).
func sharedData(t testing.TB) string {
	if d := os.Getenv(envTestdata); d != "" {
		return d
	}
	d, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestScripts runs the CLI end-to-end scripts in testdata/script, one per behaviour, named after
// their command (ingest_reports_bad_files.txtar). Scripts see $SHARED (the shared real data folder,
// which must exist) and a fresh $WORK; run one with -run TestScripts/NAME.
func TestScripts(t *testing.T) {
	shared := sharedData(t)
	if _, err := os.Stat(filepath.Join(shared, "README.md")); err != nil {
		t.Fatalf("shared data not found at %s (set %s): %v", shared, envTestdata, err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", shared)
			env.Setenv(envTestdata, shared)
			env.Setenv("HOME", env.WorkDir)
			for _, k := range []string{envBLASCore, "RAYSYNTH_MINIO_BIN", "PATH"} {
				if v, ok := os.LookupEnv(k); ok {
					env.Setenv(k, v)
				}
			}
			return nil
		},
	})
}
