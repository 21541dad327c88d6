// Package evaluate answers "does adding synthetic X-rays help?": it trains the classifier of
// package train under five regimes per repeat and tests every model on the real holdout patients
// (and optionally an external test workspace), then writes eval/report.json, eval/report.md and
// eval/sensitivity.png ([Run]). It also measures the synthetic set's fidelity and diversity
// (Fréchet distance and k-NN precision/recall in the embedding of the first real-only model), and
// puts evaluations of generators trained at several ε on one utility curve ([LoadDPCurvePoint],
// [BuildDPCurve], [WriteDPCurve]: eval/dp-curve.*).
//
// # Regimes
//
// (a) real only, (b) real plus synthetic, each class topped up to the majority count ([MixTopUp])
// or, with [MixEqual], every class's real images repeated up to the majority count plus the same
// number of synthetic images in every class (so being synthetic says nothing about the class), (c)
// synthetic only (train on synthetic, test on real; its validation set is synthetic too), (d)
// real with a class-weighted loss, (e) real with minority classes oversampled. Validation
// subsets are split by patient with [train.SplitValidation], the one split function of the
// project (a synthetic image is its own group).
//
// # Imports
//
// train (the classifier, the examples it reads) and internal/... of this module. gorgonia types
// never reach this package: it speaks in [train.Example] slices and probabilities.
//
// # Invariants
//
//   - The holdout patients are never seen by a model before it is tested; the report states the
//     numbers of images and patients behind every figure.
//   - Each finished (regime, repeat) is kept under eval/runs keyed by a fingerprint of its
//     settings, images and test set; a rerun with the same inputs skips it, other inputs redo it.
//   - Findings report what the data says: a difference whose paired interval includes 0 is called
//     noise, including when synthetic data does not help.
package evaluate
