package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRunConfig feeds run --config files to the parser that sets run's flags from them. Any
// input gives nil or a usage error (exit code 2) naming the file, never a panic.
func FuzzRunConfig(f *testing.F) {
	f.Add([]byte(`from: export/
labels: export/labels.csv
name: chest
version: 1.0.0
key: hospital.key
to: /srv/releases
ingest: {classes: [normal, effusion, cardiomegaly], size: 64}
gan: {epochs: 25, batch: 64}
synth: {balance: true}
privacy: {embedding: [pixel, classifier], max-rounds: 3}
evaluate: {repeats: 3}
bundle: {organization: "St Example Hospital", license: CC-BY-4.0}
`))
	f.Add([]byte(`{"workspace": "ws", "gan": {"epochs": 1e309}}`))
	f.Add([]byte("ingest: [1, [2]]\nfrom: &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a, *a]\nb: &b [*a, *a, *a]\n"))
	f.Add([]byte("workspace: {x: 1}\nuntil: ~\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "pipeline.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g := &globals{stdin: nil, stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
		root := newRootCmd(g)
		if old, _, err := root.Find([]string{"run"}); err == nil {
			root.RemoveCommand(old)
		}
		o := &runOptions{}
		c := newRunCmdWith(g, o)
		root.AddCommand(c)
		o.config = path
		err := applyRunConfig(c, o)
		var ue usageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("not a usage error: %v", err)
		}
	})
}
