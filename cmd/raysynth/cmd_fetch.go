package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
)

type fetchOptions struct {
	out      string
	keys     []string
	endpoint string
	parallel int
	json     bool
}

func (o *fetchOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.out, "out", "", "folder to create with the verified bundle (required; must not exist or be empty)")
	f.StringArrayVar(&o.keys, "key", nil, "public key the release must be signed with (PEM file or KMS URI; repeatable)")
	addEndpointFlag(f, &o.endpoint)
	f.IntVar(&o.parallel, "parallel", 8, "concurrent downloads")
	f.BoolVar(&o.json, "json", false, "print the result as JSON on stdout")
	c.MarkFlagRequired("out")
	c.MarkFlagRequired("key")
}

func newFetchCmd(g *globals) *cobra.Command {
	o := &fetchOptions{}
	c := &cobra.Command{
		Use:     "fetch s3://BUCKET/PREFIX/NAME[/VERSION] --key PUB --out DIR",
		GroupID: groupVerify,
		Short:   "Download a release, verify it, and only then put it in place",
		Long: `fetch downloads a release (without VERSION, the one NAME/LATEST points to) into a staging
folder beside DIR, verifies every hash and the signature there, and only then renames it to DIR.
It downloads the tag manifest and its signature first and nothing else unless they verify, then
only the files the signed manifests list (tag files at most 16 MB each); other objects, a
release stored under another name or version, and a LATEST older than the highest signed version
fail it (exit code 4, naming the rule). A failed verification leaves nothing; an interrupted download (Ctrl-C, network loss) is resumed by
running the same command again, keeping the files already downloaded with the right size and hash.`,
		Example: `  raysynth fetch s3://releases/chest/chest --key hospital.pub --out chest-latest
  raysynth fetch s3://releases/chest/chest/1.0.0 --key hospital.pub --out chest-1.0.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFetch(cmd.Context(), g, args[0], o)
		},
	}
	o.addFlags(c)
	g.addS3Flags(c)
	return c
}

func runFetch(ctx context.Context, g *globals, ref string, o *fetchOptions) error {
	if o.parallel < 1 || o.parallel > 128 {
		return usageErrorf("--parallel must be between 1 and 128, not %d", o.parallel)
	}
	keys, err := loadKeys(ctx, o.keys)
	if err != nil {
		return err
	}
	rel, err := openRelease(ctx, g, ref, o.endpoint)
	if err != nil {
		return err
	}
	rep, wait := g.newReporter()
	res, err := publish.Fetch(ctx, publish.FetchConfig{
		Release: rel, Out: o.out, Keys: keys, Parallel: o.parallel,
		Progress: publishProgress{rep}, Log: g.log,
	})
	wait()
	if err != nil {
		if errors.Is(err, manifest.ErrVerification) {
			if o.json && res != nil {
				g.printJSON(res)
			}
			return withHint(err, "the release is incomplete, tampered or signed by another key; nothing was kept. Tell the publisher")
		}
		return s3Hint(err)
	}
	if o.json {
		return g.printJSON(res)
	}
	fmt.Fprintf(g.stderr, "fetched and verified %s %s from %s: %d files, %s (downloaded %d, kept from an earlier run %d), signed by key %s\n",
		res.Name, res.Version, res.Source, res.Files, pubHumanBytes(res.Bytes), res.Downloaded, res.Reused, res.Verify.KeyHint)
	fmt.Fprintln(g.stdout, res.Out)
	return nil
}
