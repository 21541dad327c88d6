package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/imageio/pngtest"
	"github.com/raysynth/raysynth/publish/s3test"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript scripts run the real raysynth command in-process as a subprocess.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"raysynth": func() {
			maybeReexecForBLAS() // as main does
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the CLI end-to-end scripts in testdata/script, one per behaviour, named after
// their command (ingest_reports_bad_files.txtar). Scripts see $SHARED (the shared real data folder)
// and a fresh $WORK; run one with -run TestScripts/NAME. Only the scripts that use $SHARED need the
// shared data: they fail with a clear message when it is missing, the others run without it.
// Scripts named *_s3* get a real MinIO server (see startScriptMinIO).
func TestScripts(t *testing.T) {
	shared := datatest.Dir()
	_, sharedErr := os.Stat(filepath.Join(shared, "README.md"))
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"waitlines": cmdWaitLines, "hostile": cmdHostile},
		// [codecs]: this build links every DICOM codec library (make's build does).
		// [bf16]: bf16 matrix products run at hardware speed here (--precision auto picks them).
		Condition: func(cond string) (bool, error) {
			if cond == "bf16" {
				return blas.HasBF16(), nil
			}
			if cond == "avx512" { // OpenBLAS build on a CPU with AVX-512: raysynth picks SkylakeX
				return blas.Backend() == "openblas" && cpuHasAVX512(), nil
			}
			if cond != "codecs" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			for _, c := range dicomio.Codecs() {
				if !c.Available {
					return false, nil
				}
			}
			return true, nil
		},
		Setup: func(env *testscript.Env) error {
			if sharedErr != nil && scriptUsesShared(filepath.Base(env.WorkDir)) {
				return fmt.Errorf("this script reads the shared real data, which is not at %s (set %s to the shared data folder): %v", shared, envTestdata, sharedErr)
			}
			env.Setenv("SHARED", shared)
			env.Setenv(envTestdata, shared)
			env.Setenv("HOME", env.WorkDir)
			for _, k := range []string{envBLASCore, envRSCore, s3test.EnvMinIOBin, "RAYSYNTH_COSIGN_BINS", "PATH"} {
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
	s, err := s3test.StartDir(s3test.MinIO, filepath.Join(env.WorkDir, ".minio"))
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

// scriptUsesShared says whether the script whose work folder is named workDir ("script-NAME")
// refers to the shared data folder.
func scriptUsesShared(workDir string) bool {
	b, err := os.ReadFile(filepath.Join("testdata", "script", strings.TrimPrefix(workDir, "script-")+".txtar"))
	return err != nil || bytes.Contains(b, []byte("$SHARED")) || bytes.Contains(b, []byte(envTestdata))
}

// cmdWaitLines is the script command "waitlines FILE N": it waits (up to two minutes) until FILE
// has at least N lines, so a script can kill a command mid-run at a point it reached, however
// slow the machine is, instead of after a fixed sleep.
func cmdWaitLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlines FILE N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		ts.Fatalf("waitlines: N must be a positive number, not %q", args[1])
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= n {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitlines: %s has %d lines after 2 minutes, want %d", args[0], bytes.Count(b, []byte("\n")), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cmdHostile is the script command "hostile DIR": it writes into DIR the hostile files of
// issue 15, each a few hundred kilobytes at most, that once took gigabytes to read or decode:
// 5,000 nested DICOM sequences, a DICOM element claiming 4 GB, a 16000² DICOM film header,
// a JPEG 2000 film whose header asks OpenJPEG for 1,000 layers of 2×2 precincts, a 16384² 8-bit
// gray PNG (261 KB, 268 MB decoded) and an 8192² 16-bit RGBA PNG (512 MB decoded).
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hostile DIR")
	}
	dir := ts.MkAbs(args[0])
	head := dicomtest.Build(dicomio.ExplicitVRLittleEndian, false, false, []dicomtest.El{dicomtest.Str(0x0008, 0x0060, "CS", "DX")}, nil)
	film := dicomtest.ImageElems(2, 2, "MONOCHROME2", 12, []uint16{1, 2, 3, 4})
	film[3], film[4] = dicomtest.US(0x0028, 0x0010, 16000), dicomtest.US(0x0028, 0x0011, 16000)
	j2k := dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 10, Layers: 1000, CB: 2, PP: 1}.Codestream()
	j2kElems := dicomtest.ImageElems(1024, 1024, "MONOCHROME2", 16, nil)
	files := map[string][]byte{
		"nested.dcm":      dicomtest.NestedSequences(5000),
		"claims4gb.dcm":   append(head, dicomtest.Header(0x0010, 0x4000, "UT", 0xFFFFFFF0)...),
		"film16000.dcm":   dicomtest.Build(dicomio.ExplicitVRLittleEndian, false, false, film, nil),
		"j2k-layers.dcm":  dicomtest.Build(dicomio.JPEG2000Lossless, false, false, j2kElems[:len(j2kElems)-1], j2k),
		"gray16384.png":   pngtest.Zero(16384, 16384, 0, 8, 1),
		"rgba16_8192.png": pngtest.Zero(8192, 8192, 6, 16, 8),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		ts.Fatalf("%v", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
	}
}
