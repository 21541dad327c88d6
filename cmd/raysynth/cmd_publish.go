package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
)

type publishOptions struct {
	to            string
	keys          []string
	endpoint      string
	parallel      int
	retentionDays int
	legalHold     bool
	presign       time.Duration
	noVerifyAfter bool
	json          bool
}

func (o *publishOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.to, "to", "", "where to publish: s3://BUCKET/PREFIX or a folder (required)")
	f.StringArrayVar(&o.keys, "key", nil, "public key the bundle must verify with before upload (PEM file or KMS URI; repeatable)")
	addEndpointFlag(f, &o.endpoint)
	f.IntVar(&o.parallel, "parallel", 8, "concurrent uploads")
	f.IntVar(&o.retentionDays, "retention-days", 0, "Object Lock retention (COMPLIANCE mode) in days for every object of the release; the bucket needs Object Lock")
	f.BoolVar(&o.legalHold, "legal-hold", false, "put an Object Lock legal hold on every object of the release")
	f.DurationVar(&o.presign, "presign", 0, "also print download links valid this long (e.g. 72h, at most 168h)")
	f.BoolVar(&o.noVerifyAfter, "no-verify-after", false, "skip reading the uploaded release back and verifying it before LATEST moves")
	f.BoolVar(&o.json, "json", false, "print the result as JSON on stdout")
	c.MarkFlagRequired("to")
	c.MarkFlagRequired("key")
}

func newPublishCmd(g *globals) *cobra.Command {
	o := &publishOptions{}
	c := &cobra.Command{
		Use:     "publish BUNDLE_DIR --to s3://BUCKET/PREFIX|DIR --key PUB",
		GroupID: groupRelease,
		Short:   "Upload a signed bundle to S3-compatible storage or a folder, safely and resumably",
		Long: `publish verifies the bundle locally (it refuses an unsigned or failing bundle), then uploads it
to PREFIX/NAME/VERSION/ with create-only writes and a CRC-64/NVME checksum on every object, in an
order that never shows a half release: payload, tag files, tag manifest, signatures, and the
PREFIX/NAME/LATEST pointer last. Objects are tagged classification=synthetic. A server that
rejects or ignores that checksum gets Content-MD5 and a read-back of each object's size and ETag;
one that ignores create-only writes gets a HEAD before each PUT; either is said once (and in
--json under write_mode). Every S3 call has connect, idle and overall deadlines (--s3-*-timeout).

Interrupted (Ctrl-C, killed, server restarted)? Run the same command again: objects already there
with the right checksum are skipped. Publishing the same version again with the same content is a
no-op; with different content it is refused (versions are immutable).

Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only, the
endpoint from --endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, the region from AWS_REGION.`,
		Example: `  export AWS_ENDPOINT_URL_S3=https://minio.hospital.local:9000 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…
  raysynth publish chest-1.0.0 --to s3://releases/chest --key hospital.pub
  # keep every object for 10 years and hand out 3-day download links
  raysynth publish chest-1.0.0 --to s3://releases/chest --key hospital.pub --retention-days 3650 --presign 72h
  # a shared folder works the same way
  raysynth publish chest-1.0.0 --to /srv/releases --key hospital.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPublish(cmd.Context(), g, args[0], o)
		},
	}
	o.addFlags(c)
	g.addS3Flags(c)
	return c
}

func runPublish(ctx context.Context, g *globals, bundle string, o *publishOptions) error {
	res, err := publishBundle(ctx, g, bundle, o)
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(res)
	}
	printPublished(g.stderr, res)
	ep := endpointArg(res.Location, o.endpoint)
	fmt.Fprintf(g.stderr, "researchers verify it with:\n  raysynth verify %s --key %s%s\n  raysynth fetch %s --key %s%s --out %s-%s\n",
		res.Location, o.keys[0], ep, res.Location, o.keys[0], ep, res.Name, res.Version)
	fmt.Fprintln(g.stdout, res.Location)
	for _, l := range res.Links {
		fmt.Fprintf(g.stdout, "%s\t%s\n", l.File, l.URL)
	}
	if len(res.Links) > 0 {
		fmt.Fprintf(g.stderr, "download links expire at %s\n", res.Links[0].Expires.Format(time.RFC3339))
	}
	return nil
}

// printPublished tells people what publishing did (publish and run's publish stage).
func printPublished(w io.Writer, res *publish.Result) {
	switch {
	case res.AlreadyPublished:
		fmt.Fprintf(w, "%s %s is already published at %s with the same content; nothing to do\n", res.Name, res.Version, res.Location)
	default:
		fmt.Fprintf(w, "published %s %s to %s: %d files, %s (uploaded %d, already there %d) in %.1fs\n",
			res.Name, res.Version, res.Location, res.Files, pubHumanBytes(res.Bytes), res.Uploaded, res.Skipped, res.Seconds)
	}
	if res.LatestUpdated {
		fmt.Fprintf(w, "LATEST now points to %s\n", res.Version)
	} else if res.Latest != res.Version {
		fmt.Fprintf(w, "LATEST stays at the newer version %s\n", res.Latest)
	}
	if !res.RetainUntil.IsZero() {
		fmt.Fprintf(w, "retained (COMPLIANCE) until %s\n", res.RetainUntil.Format(time.RFC3339))
	}
}

func pubHumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// publishBundle is publish without the printing.
func publishBundle(ctx context.Context, g *globals, bundle string, o *publishOptions) (*publish.Result, error) {
	cfg, err := publishConfig(ctx, g, o)
	if err != nil {
		return nil, err
	}
	cfg.Bundle = bundle
	if o.retentionDays > 0 {
		cfg.RetainUntil = time.Now().UTC().Add(o.retention())
	}
	if cfg.Store, err = openPublishStore(ctx, g, o); err != nil {
		return nil, err
	}
	rep, wait := g.newReporter()
	cfg.Progress = publishProgress{rep}
	res, err := publish.Publish(ctx, cfg)
	wait()
	if err != nil {
		return nil, publishHint(err, bundle, o)
	}
	return res, nil
}

func (o *publishOptions) retention() time.Duration {
	return time.Duration(o.retentionDays) * 24 * time.Hour
}

// publishConfig is publish's configuration from its options, without the bundle, the store and
// the retention date (run's publish stage uses it too).
func publishConfig(ctx context.Context, g *globals, o *publishOptions) (publish.Config, error) {
	if o.parallel < 1 || o.parallel > 128 {
		return publish.Config{}, usageErrorf("--parallel must be between 1 and 128, not %d", o.parallel)
	}
	if o.retentionDays < 0 {
		return publish.Config{}, usageErrorf("--retention-days must not be negative")
	}
	if o.presign < 0 || o.presign > publish.MaxPresign {
		return publish.Config{}, usageErrorf("--presign must be at most 168h (7 days), not %s", o.presign)
	}
	keys, err := loadKeys(ctx, o.keys)
	if err != nil {
		return publish.Config{}, err
	}
	return publish.Config{Keys: keys, Parallel: o.parallel, LegalHold: o.legalHold,
		Presign: o.presign, VerifyRemote: !o.noVerifyAfter, Log: g.log}, nil
}

// runConfig is publish's part of run's pipeline configuration: the destination is opened when the
// stage starts.
func (o *publishOptions) runConfig(ctx context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.PublishRetention, cfg.Options[pipeline.Publish] = o.retention(), *o
	cfg.OpenStore = func(ctx context.Context) (publish.Store, error) { return openPublishStore(ctx, g, o) }
	cfg.Publish, err = publishConfig(ctx, g, o)
	return err
}

// openPublishStore opens --to, after checking that credentials are there for a bucket.
func openPublishStore(ctx context.Context, g *globals, o *publishOptions) (publish.Store, error) {
	if err := needCredentials(o.to); err != nil {
		return nil, err
	}
	return openStore(ctx, g, o.to, o.endpoint)
}

// publishHint says what to do about a publish error.
func publishHint(err error, bundle string, o *publishOptions) error {
	var h hinted
	switch {
	case errors.As(err, &h):
		return err // opening the store said what to do
	case errors.Is(err, publish.ErrBundleRefused):
		return withHint(err, fmt.Sprintf("run `raysynth verify %s --key %s` to see every problem; publish uploads only a complete bundle signed by the key", bundle, o.keys[0]))
	case errors.Is(err, manifest.ErrVerification):
		return withHint(err, "the bucket holds other content than was uploaded; check who else writes there, then run raysynth audit")
	case errors.Is(err, publish.ErrConflict):
		return withHint(err, "versions are immutable: build the bundle with a new --version and publish that")
	}
	return s3Hint(err)
}
