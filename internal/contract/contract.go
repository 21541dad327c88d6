// Package contract declares, once, the summaries that one stage writes and others read: the
// generator summary ([GANSummary], gan/<class>/summary.json) and the privacy summary
// ([PrivacySummary], privacy/summary.json). The producing package keeps its full type (with its
// own methods and fields: train.GANSummary, privacy.Summary); the consumers (synth, manifest,
// publish's audit, pipeline) read the wire form declared here, and a round-trip test beside each
// producer (train/contract_test.go, privacy/contract_test.go) keeps the two in step.
//
// The other files stages hand each other live where their reader and writer are:
//
//   - the workspace description, workspace.json ([workspace.Meta]), and the image indexes
//     (real/index.csv, and synth/ or approved/ index.csv as [workspace.SynthImage] rows) in
//     internal/workspace, which every stage reads them through; manifest, which may not import
//     the workspace, copies workspace.json verbatim and never parses it;
//   - the labels file a phantom folder carries (labels.csv: file,label,patient), written by
//     internal/phantom and read by ingest's label reader;
//   - eval/report.json ([evaluate.Report]): evaluate writes it, pipeline and dp-curve read it
//     through that type (both may import evaluate);
//   - the generator and embedding seams privacy checks through ([privacy.Generator],
//     [privacy.Embedder]), which pipeline and cmd back with synth and train.
//
// # Imports
//
// Nothing of this module: every stage may import it, and manifest may import nothing else.
//
// [workspace.Meta]: https://pkg.go.dev/github.com/raysynth/raysynth/internal/workspace#Meta
// [workspace.SynthImage]: https://pkg.go.dev/github.com/raysynth/raysynth/internal/workspace#SynthImage
// [evaluate.Report]: https://pkg.go.dev/github.com/raysynth/raysynth/evaluate#Report
// [privacy.Generator]: https://pkg.go.dev/github.com/raysynth/raysynth/privacy#Generator
// [privacy.Embedder]: https://pkg.go.dev/github.com/raysynth/raysynth/privacy#Embedder
package contract

import "encoding/json"

// GANSummary is the part of gan/<class>/summary.json that other stages read.
type GANSummary struct {
	Class            string  `json:"class"`
	Size             int     `json:"size"`
	Seed             *uint64 `json:"seed"` // nil when absent: a reader refuses such a summary
	CodeVersion      string  `json:"code_version"`
	TrainFingerprint string  `json:"train_fingerprint"`
	TrainImages      int     `json:"train_images"`
	TrainPatients    int     `json:"train_patients"`
	Checkpoint       string  `json:"checkpoint"`
	CheckpointSHA256 string  `json:"checkpoint_sha256"`
	DP               *DP     `json:"dp"` // nil for a non-private generator
	// Precision of the training's matrix products: fp32 or bf16 ("" in older summaries: fp32).
	Precision string `json:"precision,omitempty"`
	// SampleCheck is train's collapse check of the generator's samples; nil in summaries written
	// before it existed.
	SampleCheck *SampleCheck `json:"sample_check"`
}

// SampleCheck is the "sample_check" object of a GAN summary: how many distinct training films
// are nearest to the generator's samples and how much the samples vary against the films, with
// train's warnings when either says collapse.
type SampleCheck struct {
	Samples         int      `json:"samples"`
	TrainFilms      int      `json:"train_films"`
	DistinctNearest int      `json:"distinct_nearest"`
	TopNearestShare float64  `json:"top_nearest_share"`
	SpreadRatio     float64  `json:"spread_ratio"`
	Warnings        []string `json:"warnings,omitempty"`
}

// DP is the part of the "dp" object of a GAN summary that other stages read.
type DP struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
}

// PrivacySummary is privacy/summary.json as other stages read it: the verdict, the policy
// (kept verbatim), every check with its numbers, and the image counts.
type PrivacySummary struct {
	Passed       *bool           `json:"passed"` // nil when absent: a reader refuses such a summary
	FailedChecks []string        `json:"failed_checks"`
	Policy       json.RawMessage `json:"policy"`
	Checks       []Check         `json:"checks"`
	Counts       *Counts         `json:"counts"`
}

// Check is one privacy check of a [PrivacySummary]. Value and Threshold are nil when the check
// could not be computed; Bound is the one-sided confidence bound the gate decided on (absent in
// reports made without one); Note says why a check passed or failed other than by its value, e.g.
// a point estimate beyond the threshold that is not significant.
type Check struct {
	Name      string   `json:"name"`
	Class     string   `json:"class,omitempty"`
	Value     *float64 `json:"value"`
	Threshold *float64 `json:"threshold"`
	Bound     *float64 `json:"bound,omitempty"`
	Passed    bool     `json:"passed"`
	Note      string   `json:"note,omitempty"`
}

// Counts are the candidate, approved and removed image counts of a [PrivacySummary].
type Counts struct {
	Candidates int `json:"candidates"`
	Approved   int `json:"approved"`
	Removed    int `json:"removed"`
}
