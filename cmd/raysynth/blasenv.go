package main

import (
	"os"
	"strings"
	"syscall"

	"github.com/raysynth/raysynth/internal/blas"
)

// maybeReexecForBLAS sets OPENBLAS_CORETYPE before OpenBLAS is used. OpenBLAS reads it when the
// library loads, which is before main runs, so the process re-executes itself once with it set.
// Debian's OpenBLAS 0.3.21 detects AVX-512 Zen CPUs as Haswell, which halves SGEMM speed; SkylakeX
// kernels run correctly there. Setting the variable (to anything) opts out. Thread counts are set
// at run time by each stage through blas.SetThreads.
func maybeReexecForBLAS() {
	if blas.Backend() != "openblas" || os.Getenv(envReexec) != "" {
		return
	}
	if _, ok := os.LookupEnv(envBLASCore); ok || !cpuHasAVX512() {
		return
	}
	env := append(os.Environ(), envReexec+"=1", envBLASCore+"=SkylakeX")
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env) // on failure, carry on with what OpenBLAS chose
}

func cpuHasAVX512() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			return strings.Contains(line, " avx512f") && strings.Contains(line, " avx512bw")
		}
	}
	return false
}

// blasLabel names the BLAS engine for a benchmark's heading: "openblas (Zen)", or the name alone
// when the core type is unknown.
func blasLabel(name, core string) string {
	if core == "" {
		return name
	}
	return name + " (" + core + ")"
}
