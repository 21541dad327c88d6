package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raysynth/raysynth/publish/miniotest"
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
// which must exist) and a fresh $WORK; run one with -run TestScripts/NAME. Scripts named *_s3*
// get a real MinIO server (see startScriptMinIO).
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
			if strings.Contains(filepath.Base(env.WorkDir), "_s3") {
				return startScriptMinIO(env)
			}
			return nil
		},
	})
}

// startScriptMinIO starts a MinIO server for a script named *_s3*, on a loopback port with random
// root credentials and its data in $WORK/.minio, with an empty bucket named "releases". The
// script sees the AWS_* variables that reach it as root (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION); the server stops when the script ends.
func startScriptMinIO(env *testscript.Env) error {
	s, err := miniotest.StartDir(filepath.Join(env.WorkDir, ".minio"))
	if err != nil {
		return err
	}
	env.Defer(s.Stop)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.MakeBucket(ctx, "releases", false)
}
