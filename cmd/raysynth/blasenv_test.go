package main

import (
	"strings"
	"testing"
)

func TestCoreNoteNamesTheSlowPreset(t *testing.T) {
	note := coreNote("Haswell", "Haswell")
	for _, want := range []string{`OPENBLAS_CORETYPE="Haswell"`, "Haswell kernels", "SkylakeX", "unset OPENBLAS_CORETYPE"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	for _, core := range []string{"SkylakeX", "Cooperlake", "SapphireRapids", ""} {
		if n := coreNote("x", core); n != "" {
			t.Errorf("core %q: want no note, got %q", core, n)
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
