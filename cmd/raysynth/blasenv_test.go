package main

import (
	"strings"
	"testing"
)

func TestAVX512Cores(t *testing.T) {
	for core, want := range map[string]bool{"SkylakeX": true, "skylakex": true, "Cooperlake": true,
		"SapphireRapids": true, "Haswell": false, "Zen": false, "": false} {
		if got := avx512Core(core); got != want {
			t.Errorf("avx512Core(%q) = %v, want %v", core, got, want)
		}
	}
}

func TestUsesBLASOnlyForMatrixWork(t *testing.T) {
	root := newRootCmd(&globals{})
	for path, want := range map[string]bool{
		"train gan": true, "synth": true, "run": true, "bench nn": true, "evaluate": true, "privacy check": true,
		"verify": false, "audit": false, "publish": false, "ingest": false, "keygen": false,
	} {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || cmd == root {
			t.Fatalf("%s: not a command (%v)", path, err)
		}
		if got := usesBLAS(cmd); got != want {
			t.Errorf("usesBLAS(%s) = %v, want %v", path, got, want)
		}
	}
}
