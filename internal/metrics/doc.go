// Package metrics computes the numbers `raysynth evaluate` reports: how well a classifier does on
// real test images, whether one training regime beats another beyond noise, and how faithful and
// diverse a synthetic set is in an embedding space.
//
// # Classification
//
// [Evaluate] builds the confusion matrix (rows: true class, columns: predicted class) and, per
// class, sensitivity (recall), specificity, precision, F1 and the one-vs-rest ROC AUC, computed as
// the Mann–Whitney statistic with midranks so that tied scores count one half; overall it gives
// accuracy, balanced accuracy (mean sensitivity) and macro-F1. [Summarize] gives mean ± standard
// deviation over repeats. [PairedBootstrap] resamples test images (with all repeats' predictions
// of each image kept together) to put a confidence interval on the per-class difference between
// two regimes, and says in plain words whether it is within noise.
//
// # Fidelity and diversity
//
// [FrechetDistance] is the Fréchet distance between Gaussians fitted to two sets of vectors,
// ‖μ1−μ2‖² + Tr(S1 + S2 − 2(S1^{1/2} S2 S1^{1/2})^{1/2}), with the matrix square roots taken from
// symmetric eigendecompositions (gonum). Computed on the classifier's embedding it is an FID-like
// number, not the FID of Inception features; reports must say so. [PrecisionRecall] is the k-NN
// precision and recall of Kynkäänniemi et al. 2019 with exact distances.
//
// # Invariants
//
//   - A metric that the test set cannot support is marked, never hidden or guessed: its value is
//     NaN, [Metric] encodes it as JSON null, and the class carries a reason (too few test images
//     of the class, or a class never predicted).
//   - Deterministic: the bootstrap draws from a seeded PCG generator; the same inputs and seed give
//     the same output.
//   - No I/O and no logging. Imports internal/blas and gonum only.
package metrics
