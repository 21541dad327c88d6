package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/publish"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpGroupsAndExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"Prepare data:", "Verify and audit:", "Exit codes:", "130", "Examples:"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--verbose", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	if v.BLAS == "" || v.Version == "" {
		t.Fatalf("missing fields: %+v", v)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"no-such-command"}, {"version", "--no-such-flag"}, {"--log-format", "xml", "version"},
		{"verify"},                 // cobra.ExactArgs
		{"ingest", "extra"},        // cobra.NoArgs
		{"fetch", "s3://b/p/name"}, // required flags --out and --key
		{"--workspace", "w", "no-such-command"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errOut, "raysynth: error: ") || !strings.Contains(errOut, "raysynth: hint: ") {
			t.Errorf("%v: stderr lacks error and hint lines: %q", args, errOut)
		}
	}
}

func TestExitCodeMapping(t *testing.T) {
	base := errors.New("x")
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{base, 1},
		{gateFailed(base), 3},
		{verifyFailed(withHint(base, "h")), 4},
		{withHint(context.Canceled, "h"), 130},
		{gateFailed(withHint(context.Canceled, "h")), 130},
		{usageErrorf("bad"), 2},
		{fmt.Errorf("privacy: %w", (&privacy.Result{ReportPath: "r"}).Err()), 3},
		{fmt.Errorf("filter: %w", privacy.ErrAllFlagged), 3},
		{withHint(&manifest.GateError{FailedChecks: []string{"m"}}, "h"), 3},
		{fmt.Errorf("verify: %w", manifest.ErrVerification), 4},
		{fmt.Errorf("publish: %w", publish.ErrBundleRefused), 4},
		{fmt.Errorf("publish: %w", publish.ErrConflict), 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestEnvListsSecrets(t *testing.T) {
	_, out, _ := runCLI(t, "env")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, envSecretKey) && !strings.Contains(line, "yes") {
			t.Fatalf("secret key not marked secret: %q", line)
		}
	}
	if !strings.Contains(out, envPassword) {
		t.Fatal("env does not list the key password variable")
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string]string{"": "", "all": "", "normal": "normal", " a, b ,,c ": "a|b|c"} {
		if got := strings.Join(splitList(in), "|"); got != want {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}
