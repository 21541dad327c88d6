package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// addEndpointFlag adds --endpoint, the S3 endpoint of the commands that reach a bucket (publish,
// fetch, verify, audit), its help naming the environment variables behind it.
func addEndpointFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "endpoint", "", "S3 endpoint URL for s3:// locations (env "+envEndpointS3+", "+envEndpoint+"; default AWS); credentials only from "+
		envAccessKey+", "+envSecretKey+", "+envSession)
}

// s3Config resolves how to reach S3: the --endpoint flag, then AWS_ENDPOINT_URL_S3, then
// AWS_ENDPOINT_URL, then AWS itself; credentials only from the environment. The bucket and
// prefix come from the s3:// URL the publish package is given.
func s3Config(g *globals, endpointFlag string) publish.S3Config {
	region := os.Getenv(envRegion)
	if region == "" {
		region = "us-east-1"
	}
	ep := endpointFlag
	for _, k := range []string{envEndpointS3, envEndpoint} {
		if ep == "" {
			ep = os.Getenv(k)
		}
	}
	if ep == "" {
		ep = "https://s3." + region + ".amazonaws.com"
	}
	return publish.S3Config{
		Endpoint:     ep,
		AccessKey:    os.Getenv(envAccessKey),
		SecretKey:    os.Getenv(envSecretKey),
		SessionToken: os.Getenv(envSession),
		Region:       region,
		Timeouts:     g.s3,
		Log:          g.log,
		Notice:       plainLines(g.stderr),
	}
}

// plainLines prints the storage layer's retries and fallbacks as plain lines for people on w
// (stderr), one at a time: "raysynth: s3://…: …; retrying in 1s (attempt 2 of 6)".
func plainLines(w io.Writer) func(string) {
	var mu sync.Mutex
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "raysynth: %s\n", msg)
	}
}

// addS3Flags adds the deadlines of S3 calls to a command that reaches S3.
func (g *globals) addS3Flags(c *cobra.Command) {
	f := c.Flags()
	f.DurationVar(&g.s3.Connect, "s3-connect-timeout", publish.DefaultConnectTimeout, "S3: longest wait to connect (TCP and TLS) to the endpoint")
	f.DurationVar(&g.s3.Idle, "s3-idle-timeout", publish.DefaultIdleTimeout, "S3: a call fails when no byte moves for this long (a stalled or trickling server); retried at most 3 times")
	f.DurationVar(&g.s3.Request, "s3-request-timeout", publish.DefaultRequestTimeout, "S3: longest time for one call (one object up or down, one listing)")
}

// needCredentials fails at once when an S3 command that writes has no credentials (a bad URL is
// left to openStore, which says what is wrong with it).
func needCredentials(where string) error {
	if loc, err := publish.ParseLocation(where); err != nil || !loc.IsS3() || os.Getenv(envAccessKey) != "" || os.Getenv(envSecretKey) != "" {
		return nil
	}
	return withHint(fmt.Errorf("%s: no S3 credentials: %s and %s are unset", where, envAccessKey, envSecretKey),
		"export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) for the endpoint (--endpoint or AWS_ENDPOINT_URL_S3); `raysynth env` lists them")
}

// sayAnonymous tells, at once, that an S3 command that reads goes without credentials.
func sayAnonymous(g *globals, where string) {
	if _, err := publish.ParseLocation(where); err == nil && publish.IsS3URL(where) && os.Getenv(envAccessKey) == "" && os.Getenv(envSecretKey) == "" {
		fmt.Fprintf(g.stderr, "raysynth: no S3 credentials (%s and %s are unset): reading %s anonymously, which only a public bucket allows\n", envAccessKey, envSecretKey, where)
	}
}

// openStore opens the release root named by where (s3://BUCKET/PREFIX or a folder).
func openStore(ctx context.Context, g *globals, where, endpointFlag string) (publish.Store, error) {
	sayAnonymous(g, where)
	st, err := publish.Open(ctx, where, s3Config(g, endpointFlag))
	switch {
	case err == nil || publish.IsS3URL(where):
		return st, s3Hint(err)
	case where == "":
		return nil, usageError{err}
	}
	return nil, err
}

// openRelease finds the release at ref: s3://BUCKET/PREFIX/NAME[/VERSION] or a folder
// …/NAME[/VERSION]. Without VERSION it follows NAME/LATEST.
func openRelease(ctx context.Context, g *globals, ref, endpointFlag string) (*publish.Release, error) {
	sayAnonymous(g, ref)
	rel, err := publish.OpenReleaseAt(ctx, ref, s3Config(g, endpointFlag))
	return rel, releaseHint(err)
}

// releaseHint says what to do when a release cannot be opened.
func releaseHint(err error) error {
	switch {
	case errors.Is(err, manifest.ErrVerification):
		return withHint(err, "do not use this release; tell the publisher (raysynth audit lists every release and pointer of the location)")
	case errors.Is(err, publish.ErrNoRelease):
		return withHint(err, "give s3://BUCKET/PREFIX/NAME (follows NAME/LATEST) or s3://BUCKET/PREFIX/NAME/VERSION; raysynth audit s3://BUCKET/PREFIX lists the releases")
	}
	return s3Hint(err)
}

// verifyAt verifies what `raysynth verify` is given (publish.VerifyAt): a release in a bucket or
// a published folder in place, anything else as a bundle folder.
func verifyAt(ctx context.Context, g *globals, ref, endpointFlag string, keys []*manifest.PublicKey) (*manifest.VerifyResult, error) {
	sayAnonymous(g, ref)
	res, err := publish.VerifyAt(ctx, ref, s3Config(g, endpointFlag), keys)
	switch {
	case errors.Is(err, publish.ErrNotBundle):
		return nil, verifyFailed(withHint(err, "give the folder that raysynth bundle made (it holds bagit.txt), a release folder NAME/VERSION, a NAME folder with LATEST, or an s3:// release"))
	case res == nil && err != nil:
		return nil, releaseHint(err)
	}
	return res, err
}

// s3Hint attaches what to check to storage errors.
func s3Hint(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, publish.ErrBadCredentials):
		return withHint(err, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) for this endpoint; `raysynth env` lists them")
	case errors.Is(err, publish.ErrNoSuchBucket):
		return withHint(err, "create the bucket first, or fix the bucket name in the s3:// URL and the endpoint (--endpoint, AWS_ENDPOINT_URL_S3)")
	case errors.Is(err, publish.ErrUnreachable):
		return withHint(err, "give the S3 server's URL with --endpoint or AWS_ENDPOINT_URL_S3 (without either, raysynth uses AWS's endpoint for AWS_REGION)")
	case errors.Is(err, publish.ErrStalled):
		return withHint(err, "the server accepted the connection but stopped sending or receiving; check its health and the network, raise --s3-idle-timeout for a slow link, then run the same command again to resume")
	case errors.Is(err, publish.ErrAccessDenied) && os.Getenv(envAccessKey) == "":
		return withHint(err, "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this endpoint; `raysynth env` lists them")
	case errors.Is(err, publish.ErrAccessDenied):
		return withHint(err, "ask the bucket's administrator for a policy that allows s3:ListBucket, s3:GetObject and s3:PutObject (and s3:PutObjectTagging) on this prefix")
	case errors.Is(err, publish.ErrListTooLong):
		return withHint(err, "the server lists more than any release holds, or lists without end: check that the endpoint and bucket are the publisher's (a release has one object per file)")
	case errors.Is(err, publish.ErrObjectLockUnsupported):
		return withHint(err, "retention and legal hold need a bucket created with Object Lock enabled (e.g. `mc mb --with-lock`); or publish without --retention-days/--legal-hold")
	case errors.Is(err, publish.ErrBadURL):
		return usageError{err}
	case errors.Is(err, publish.ErrBadEndpoint):
		return usageError{withHint(err, "give the endpoint as scheme://host[:port] (--endpoint or AWS_ENDPOINT_URL_S3); credentials never go in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")}
	case errors.Is(err, context.Canceled):
		return err
	case !publish.Permanent(err):
		return withHint(err, "check that the endpoint (--endpoint, AWS_ENDPOINT_URL_S3) is reachable; run the same command again to resume")
	}
	return err
}

// loadKeys loads every --key.
func loadKeys(ctx context.Context, refs []string) ([]*manifest.PublicKey, error) {
	var keys []*manifest.PublicKey
	for _, r := range refs {
		k, err := manifest.LoadPublicKey(ctx, r)
		if err != nil {
			return nil, withHint(fmt.Errorf("load public key %s: %w", r, err), "give the PEM public key file (e.g. hospital.pub from raysynth keygen) or a KMS URI")
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// publishProgress adapts internal/progress to publish.Reporter.
type publishProgress struct{ r progress.Reporter }

func (p publishProgress) Start(name string, total int64, unit string) publish.Task {
	return p.r.Start(name, total, unit)
}

// endpointArg is the " --endpoint URL" a printed verify or fetch command needs to reach an s3://
// location on the endpoint given by flag (empty for folders, or when the endpoint came from the
// environment, which the reader sets up the same way).
func endpointArg(location, endpointFlag string) string {
	if endpointFlag == "" || !publish.IsS3URL(location) {
		return ""
	}
	return " --endpoint " + shellQuote(endpointFlag)
}
