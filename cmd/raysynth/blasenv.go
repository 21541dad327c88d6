package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

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

// blasCoreNote explains, for the log, a core type preset in the environment that leaves this
// AVX-512 CPU on slower kernels; "" when there is nothing to say. Some machines export
// OPENBLAS_CORETYPE=Haswell for every program; raysynth respects a preset value (it may be set on
// purpose, for identical results across machines) but says what it costs.
func blasCoreNote() string {
	preset, ok := os.LookupEnv(envBLASCore)
	if blas.Backend() != "openblas" || !ok || os.Getenv(envReexec) != "" || !cpuHasAVX512() {
		return ""
	}
	return coreNote(preset, blas.CoreType())
}

// coreNote is blasCoreNote's wording for a preset value and the core OpenBLAS chose on a CPU with
// AVX-512.
func coreNote(preset, core string) string {
	switch core {
	case "SkylakeX", "Cooperlake", "SapphireRapids", "":
		return ""
	}
	return fmt.Sprintf("%s=%q is set in the environment, so OpenBLAS multiplies with its %s kernels; "+
		"this CPU has AVX-512, where raysynth would choose SkylakeX and matrix products run about twice as fast: "+
		"unset %s (or set it to SkylakeX) unless it was set on purpose", envBLASCore, preset, core, envBLASCore)
}

// usesBLAS reports whether a command does matrix work worth the note above.
func usesBLAS(cmd *cobra.Command) bool {
	for c := cmd; c != nil && c.HasParent(); c = c.Parent() {
		if !c.Parent().HasParent() {
			switch c.Name() {
			case "train", "synth", "evaluate", "privacy", "run", "bench":
				return true
			}
		}
	}
	return false
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
