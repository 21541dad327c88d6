package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite generated documentation (docs/run.md's flag list)")

// helpMaxLines is what fits a screen: a command's --help longer than this moves text to docs/.
const helpMaxLines = 60

// TestHelpFitsAScreen runs `raysynth … --help` for every command, as a user does, and fails when
// one is longer than a screen.
func TestHelpFitsAScreen(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(newRootCmd(&globals{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}), nil)
	if len(paths) < 20 {
		t.Fatalf("found only %d commands", len(paths))
	}
	for _, p := range paths {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(p, "--help"), strings.NewReader(""), &out, &errb); code != 0 {
			t.Errorf("raysynth %s --help: exit %d: %s", strings.Join(p, " "), code, errb.String())
			continue
		}
		if n := strings.Count(out.String(), "\n"); n > helpMaxLines {
			t.Errorf("raysynth %s --help is %d lines (at most %d fit a screen); move text to docs/", strings.Join(p, " "), n, helpMaxLines)
		}
	}
}

// TestDocsRunListsEveryFlag keeps the generated flag list in docs/run.md equal to run's flags,
// the hidden stage flags included (run --help shows only a few). Refresh with -update.
func TestDocsRunListsEveryFlag(t *testing.T) {
	const begin, end = "<!-- begin flags: go test ./cmd/raysynth -run TestDocsRun -update -->\n", "<!-- end flags -->"
	path := filepath.Join("..", "..", "docs", "run.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q section", path, begin, end)
	}
	var want strings.Builder
	want.WriteString("```\n")
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	newRunCmd(&globals{}).Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		nf := *f
		nf.Hidden = false
		fs.AddFlag(&nf)
	})
	want.WriteString(fs.FlagUsagesWrapped(100))
	want.WriteString("```\n")
	got := string(doc[i+len(begin) : j])
	if got == want.String() {
		return
	}
	if *update {
		out := append(append(append([]byte(nil), doc[:i+len(begin)]...), want.String()...), doc[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the flag list differs from run's flags; run go test ./cmd/raysynth -run TestDocsRun -update\n%s", path, fmt.Sprint(len(got), " vs ", want.Len(), " bytes"))
}
