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
// Debian's OpenBLAS 0.3.21 detects AVX-512 Zen CPUs as Haswell (Zen 4) or Cooperlake (Zen 5);
// SkylakeX kernels run correctly on both and multiply about twice as fast as Haswell's. Some
// machines export OPENBLAS_CORETYPE=Haswell for every program: on an AVX-512 CPU a preset core
// without AVX-512 is replaced by SkylakeX too (blasCoreNote says so in the log). A core named in
// RAYSYNTH_BLAS_CORETYPE is used as given. Thread counts are set at run time by each stage through
// blas.SetThreads.
func maybeReexecForBLAS() {
	if blas.Backend() != "openblas" || os.Getenv(envReexec) != "" {
		return
	}
	preset, hasPreset := os.LookupEnv(envBLASCore)
	want := os.Getenv(envRSCore)
	if want == "" {
		if !cpuHasAVX512() || (hasPreset && avx512Core(preset)) {
			return
		}
		want = "SkylakeX"
	}
	if hasPreset && strings.EqualFold(preset, want) {
		return
	}
	var env []string
	for _, kv := range os.Environ() { // getenv takes the first of duplicate names
		if !strings.HasPrefix(kv, envBLASCore+"=") && !strings.HasPrefix(kv, envReplacedCore+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, envReexec+"=1", envBLASCore+"="+want)
	if hasPreset {
		env = append(env, envReplacedCore+"="+preset)
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env) // on failure, carry on with what OpenBLAS chose
}

// avx512Core reports whether an OpenBLAS core type uses AVX-512 kernels.
func avx512Core(core string) bool {
	for _, c := range []string{"SkylakeX", "Cooperlake", "SapphireRapids"} {
		if strings.EqualFold(core, c) {
			return true
		}
	}
	return false
}

// replacedCore is the preset OPENBLAS_CORETYPE this process replaced at start-up, or "".
func replacedCore() string {
	if os.Getenv(envReexec) == "" {
		return ""
	}
	return os.Getenv(envReplacedCore)
}

// blasCoreNote explains, for the log, a preset core type that raysynth replaced; "" when there is
// nothing to say.
func blasCoreNote() string {
	if old := replacedCore(); old != "" {
		return coreNote(old, blas.CoreType())
	}
	return ""
}

// coreNote is blasCoreNote's wording.
func coreNote(old, core string) string {
	return fmt.Sprintf("%s=%q from the environment replaced with %s: this CPU has AVX-512, where %s's "+
		"matrix products run about twice as fast; set %s=%s to keep the preset kernels",
		envBLASCore, old, core, core, envRSCore, old)
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
