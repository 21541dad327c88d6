package publish

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/raysynth/raysynth/manifest"
)

// BenchmarkPublish10k uploads a bundle of 10,000 64×64 images (RAYSYNTH_BENCH_IMAGES overrides
// the count) to each local S3 server (MinIO, VersityGW) and reports files/s and MB/s, then, when
// the aws CLI is on PATH, the same folder with `aws s3 cp --recursive` to the first server for
// comparison.
func BenchmarkPublish10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("RAYSYNTH_BENCH_IMAGES")); err == nil && v > 0 {
		n = v
	}
	bundle := makeBundle(b, bundleOpts{n: n, size: 64})
	infos, _ := manifest.DirSource(bundle).List(context.Background())
	var bytes int64
	for _, f := range infos {
		bytes += f.Size
	}
	ctx := context.Background()
	for _, s := range allServers() {
		bucket := newBucketOn(b, s, false)
		par := 8
		b.Run(fmt.Sprintf("%s/parallel=%d", s.Kind, par), func(b *testing.B) {
			var total time.Duration
			var wm WriteMode
			for i := 0; b.Loop(); i++ {
				st := openS3(b, s, bucket, fmt.Sprintf("p%d-%d-%d", par, i, time.Now().UnixNano()))
				t0 := time.Now()
				res, err := Publish(ctx, Config{Bundle: bundle, Store: st, Keys: keys(b), Parallel: par})
				total += time.Since(t0)
				if err != nil || res.Uploaded != len(infos) {
					b.Fatalf("%+v %v", res, err)
				}
				wm = res.WriteMode
			}
			b.Logf("%s: write mode %s, create-only %s", s.Kind, wm.Integrity, wm.CreateOnly)
			sec := total.Seconds() / float64(b.N)
			b.ReportMetric(float64(len(infos))/sec, "files/s")
			b.ReportMetric(float64(bytes)/1e6/sec, "MB/s")
		})
	}
	bucket := newBucket(b, false)
	aws, err := exec.LookPath("aws")
	if err != nil {
		b.Logf("aws CLI not found; no comparison")
		return
	}
	b.Run("aws-s3-cp-recursive", func(b *testing.B) {
		var total time.Duration
		for i := 0; b.Loop(); i++ {
			cmd := exec.Command(aws, "s3", "cp", "--recursive", "--quiet", "--endpoint-url", srv().Endpoint, bundle,
				fmt.Sprintf("s3://%s/aws-%d-%d/", bucket, i, time.Now().UnixNano()))
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+srv().User, "AWS_SECRET_ACCESS_KEY="+srv().Password, "AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1")
			t0 := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("aws s3 cp: %v\n%s", err, out)
			}
			total += time.Since(t0)
		}
		sec := total.Seconds() / float64(b.N)
		b.ReportMetric(float64(len(infos))/sec, "files/s")
		b.ReportMetric(float64(bytes)/1e6/sec, "MB/s")
	})
}
