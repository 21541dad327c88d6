package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeExitCodes checks the README's exit-code table against exitCodes, the one table the
// code uses: same codes, same meanings, same order.
func TestReadmeExitCodes(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatalf("%s has no \"## Exit codes\" section", path)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	row := regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*(.*?)\s*\|$`)
	var got []exitCodeEntry
	for _, line := range strings.Split(sec, "\n") {
		if m := row.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			code, _ := strconv.Atoi(m[1])
			got = append(got, exitCodeEntry{code: code, meaning: m[2]})
		}
	}
	if len(got) != len(exitCodes) {
		t.Fatalf("%s lists %d exit codes, the code has %d: update the README from exitCodes in exit.go", path, len(got), len(exitCodes))
	}
	for i, e := range exitCodes {
		if got[i].code != e.code || got[i].meaning != e.meaning {
			t.Errorf("%s row %d: %d %q; exit.go: %d %q", path, i+1, got[i].code, got[i].meaning, e.code, e.meaning)
		}
	}
}

// TestExitCodesHelp checks that --help prints every code of the table.
func TestExitCodesHelp(t *testing.T) {
	_, out, _ := runCLI(t, "--help")
	for _, e := range exitCodes {
		if !strings.Contains(out, strconv.Itoa(e.code)+" ") || !strings.Contains(out, e.meaning) {
			t.Errorf("--help lacks exit code %d (%s)", e.code, e.meaning)
		}
	}
}
