package main

import (
	"context"
	"errors"
	"strings"
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

const exitCodesHelp = `
Exit codes:
  0    success
  1    error
  2    bad command line
  3    privacy gate failed: nothing was released
  4    verification failed: the bundle is incomplete, tampered or not signed by the key
  130  interrupted (Ctrl-C): run the same command again to resume
`

const exitCodesLine = `
Exit codes: 0 ok, 1 error, 2 bad command line, 3 privacy gate failed, 4 verification failed,
130 interrupted (raysynth --help explains them)
`

// exitCoder lets a command choose the exit code of an error it returns (see gateFailed and
// verifyFailed).
type exitCoder struct {
	err  error
	code int
}

func (e exitCoder) Error() string { return e.err.Error() }
func (e exitCoder) Unwrap() error { return e.err }

// gateFailed marks an error as a failed privacy gate (exit code 3).
func gateFailed(err error) error { return exitCoder{err, exitGateFailed} }

// verifyFailed marks an error as a failed verification (exit code 4).
func verifyFailed(err error) error { return exitCoder{err, exitVerifyFail} }

// exitCode maps an error to the documented exit code. It is the only place that does.
func exitCode(err error) int {
	var ec exitCoder
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ec):
		return ec.code
	case errors.As(err, &ue):
		return exitUsage
	case isCobraUsage(err):
		return exitUsage
	}
	return exitError
}

// isCobraUsage recognises the argument errors cobra returns as plain errors.
func isCobraUsage(err error) bool {
	m := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "required flag", "invalid argument"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}
