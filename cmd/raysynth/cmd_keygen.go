package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/raysynth/raysynth/manifest"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type keygenOptions struct {
	out  string
	json bool
}

func (o *keygenOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.out, "out", "", "path prefix of the key pair: writes PREFIX.key (0600) and PREFIX.pub (required)")
	f.BoolVar(&o.json, "json", false, "print the written paths and the key hint as JSON on stdout")
}

func newKeygenCmd(g *globals) *cobra.Command {
	var o keygenOptions
	c := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Make the signing key pair for releases (cosign-compatible)",
		Long: `keygen writes an ECDSA P-256 key pair: PREFIX.key, encrypted with a password in cosign's
"ENCRYPTED SIGSTORE PRIVATE KEY" format (file mode 0600), and PREFIX.pub, the public key to give
to researchers and auditors. Keys made by "cosign generate-key-pair" work in every raysynth command
that takes a key, and these keys work in cosign.

The password comes from RAYSYNTH_PASSWORD, else COSIGN_PASSWORD, else it is asked twice on the
terminal. It is never a flag. Keep PREFIX.key and its password apart; losing either means
releases can no longer be signed with this key.`,
		Example: `  raysynth keygen --out hospital
  RAYSYNTH_PASSWORD=… raysynth keygen --out /secure/hospital-2026 --json`,
		GroupID: groupRelease,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeygen(cmd.Context(), g, &o)
		},
	}
	o.addFlags(c)
	return c
}

func runKeygen(ctx context.Context, g *globals, o *keygenOptions) error {
	if o.out == "" {
		return usageErrorf("--out PREFIX is required (writes PREFIX.key and PREFIX.pub)")
	}
	pw, err := g.password(true)
	if err != nil {
		return err
	}
	keyPath, pubPath, err := manifest.WriteKeyPair(o.out, pw)
	if err != nil {
		return err
	}
	pub, err := manifest.LoadPublicKey(ctx, pubPath)
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(map[string]string{"private_key": keyPath, "public_key": pubPath, "key_hint": pub.Hint()})
	}
	fmt.Fprintf(g.stdout, "%s\n%s\n", keyPath, pubPath)
	fmt.Fprintf(g.stderr, "wrote %s (private, keep it and its password apart) and %s (give it to researchers)\nkey hint: %s\n",
		keyPath, pubPath, pub.Hint())
	return nil
}

// password returns the signing key's password: RAYSYNTH_PASSWORD, then COSIGN_PASSWORD, then a
// prompt on the terminal (asked twice when confirm is set). It is never logged.
func (g *globals) password(confirm bool) ([]byte, error) {
	for _, k := range []string{envPassword, envCosignPass} {
		if v, ok := os.LookupEnv(k); ok {
			return []byte(v), nil
		}
	}
	f, ok := g.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, withHint(errors.New("no password for the signing key"),
			"set RAYSYNTH_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked")
	}
	fmt.Fprint(g.stderr, "Password for the signing key: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.stderr)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	if confirm {
		fmt.Fprint(g.stderr, "Same password again: ")
		pw2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(pw, pw2) {
			return nil, errors.New("the two passwords differ; nothing was written")
		}
		if len(pw) == 0 {
			return nil, errors.New("empty password; nothing was written")
		}
	}
	return pw, nil
}
