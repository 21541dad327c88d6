package main

// Exit codes: which code an error gets is decided here and nowhere else. The packages return typed
// errors and sentinels (privacy.GateError, manifest.ErrVerification, publish.ErrBundleRefused, …);
// exitCodes maps them with errors.Is and errors.As, as cosign's cmd/cosign/errors does. --help
// prints the table from it, and TestReadmeExitCodes checks the README's table against it.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/raysynth/raysynth/internal/flagfile"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/publish"
)

// Exit codes, documented in --help and the README.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitGateFailed  = 3
	exitVerifyFail  = 4
	exitInterrupted = 130
)

// exitCodeEntry is one documented exit code and the errors that get it.
type exitCodeEntry struct {
	code    int
	short   string           // in the one-line summary under each command's help
	meaning string           // in --help and the README
	match   func(error) bool // nil: success, or any error no other entry matches
}

// exitCodes is the one table. Order matters for matching: an interrupted command is interrupted
// whatever else failed, then the first entry that matches wins.
var exitCodes = []exitCodeEntry{
	{code: exitOK, short: "ok", meaning: "success"},
	{code: exitError, short: "error", meaning: "error"},
	{code: exitUsage, short: "bad command line", meaning: "bad command line", match: isUsage},
	{code: exitGateFailed, short: "privacy gate failed", meaning: "privacy gate failed: nothing was released",
		match: isAny(privacy.ErrGateFailed, manifest.ErrPrivacyGate)},
	{code: exitVerifyFail, short: "verification failed", meaning: "verification failed: the bundle is incomplete, tampered or not signed by the key",
		match: isAny(manifest.ErrVerification, publish.ErrBundleRefused)},
	{code: exitInterrupted, short: "interrupted", meaning: "interrupted (Ctrl-C): run the same command again to resume",
		match: isAny(context.Canceled)},
}

// exitCode maps an error to the documented exit code. It is the only place that does.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	last := exitCodes[len(exitCodes)-1]
	if last.match(err) {
		return last.code // interrupted wins over the error the interruption caused
	}
	for _, e := range exitCodes {
		if e.match != nil && e.match(err) {
			return e.code
		}
	}
	return exitError
}

func isAny(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

func isUsage(err error) bool {
	var u usageError
	var cf *flagfile.Error            // run --config
	var km *pipeline.KeyMismatchError // run --pub
	return errors.As(err, &u) || errors.As(err, &cf) || errors.As(err, &km)
}

// exitCodesHelp is the table at the end of raysynth --help.
var exitCodesHelp = func() string {
	var b strings.Builder
	b.WriteString("\nExit codes:\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %-4d %s\n", e.code, e.meaning)
	}
	return b.String()
}()

// exitCodesLine is the one-line summary under each command's help.
var exitCodesLine = func() string {
	var parts []string
	for _, e := range exitCodes {
		parts = append(parts, fmt.Sprintf("%d %s", e.code, e.short))
	}
	// two lines, as before: the last entry (130) starts the second
	return "\nExit codes: " + strings.Join(parts[:len(parts)-1], ", ") + ",\n" + parts[len(parts)-1] + " (raysynth --help explains them)\n"
}()

// marked gives err the exit code of a package sentinel without changing its message: for the
// few failures cmd itself concludes from a package's result (verify found problems, an audit
// failed releases).
type marked struct {
	err  error
	kind error
}

func (e marked) Error() string        { return e.err.Error() }
func (e marked) Unwrap() error        { return e.err }
func (e marked) Is(target error) bool { return target == e.kind }

// gateFailed marks an error as a failed privacy gate (exit code 3).
func gateFailed(err error) error { return marked{err, privacy.ErrGateFailed} }

// verifyFailed marks an error as a failed verification (exit code 4).
func verifyFailed(err error) error { return marked{err, manifest.ErrVerification} }
