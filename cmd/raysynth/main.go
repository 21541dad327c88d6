// Command raysynth turns a hospital's chest X-rays into a signed, privacy-checked synthetic data
// set that outside researchers can verify. See the README and `raysynth --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	maybeReexecForBLAS()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
