package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEnvListComplete reads the source of every package linked into raysynth from this module and
// from sigstore (whose KMS providers read VAULT_TOKEN and friends for --key hashivault://…) and
// fails when a variable read with os.Getenv or os.LookupEnv is missing from `raysynth env`.
// minio-go is left out: raysynth hands it static credentials, so its environment providers never run.
func TestEnvListComplete(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	listed := func(name string) bool {
		for _, e := range envVars {
			if e.name == name {
				return true
			}
		}
		return false
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[2] == "" {
			continue
		}
		if !strings.HasPrefix(f[0], "github.com/raysynth/raysynth") && !strings.HasPrefix(f[0], "github.com/sigstore/") {
			continue
		}
		for _, name := range envReads(t, f[1], strings.Split(f[2], ",")) {
			found++
			if !listed(name) {
				t.Errorf("%s reads $%s, which raysynth env does not list; add it to envVars in env.go", f[0], name)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d environment reads; is the scan broken?", found)
	}
	seen := map[string]bool{}
	for _, e := range envVars {
		if seen[e.name] {
			t.Errorf("%s is listed twice", e.name)
		}
		seen[e.name] = true
	}
}

// envReads returns the names passed to os.Getenv and os.LookupEnv in one package's files, as
// string literals or as string constants declared in the package.

func envReads(t *testing.T, dir string, files []string) []string {
	fset := token.NewFileSet()
	consts := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, file)
		ast.Inspect(file, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	var names []string
	for _, file := range parsed {
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "os" {
				return true
			}
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(a.Value)
				names = append(names, s)
			case *ast.Ident:
				// a loop variable ranges over constants the scan already saw declared
				if s, ok := consts[a.Name]; ok {
					names = append(names, s)
				}
			}
			return true
		})
	}
	return names
}
