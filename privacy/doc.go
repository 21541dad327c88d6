// Package privacy decides whether a synthetic set may leave the hospital: exact nearest-neighbour
// search between synthetic, training and holdout images, memorization, distance-to-closest-record,
// membership-inference and adversarial-accuracy checks, the policy gate, and privacy-enhancing
// filtering.
//
// # Imports
//
// Only internal/... of this module (blas, imageio, dicomio, workspace, fsutil, progress, sysinfo).
// Generators and learned embeddings come in through the [Generator] and [Embedder] interfaces,
// which pipeline and cmd back with synth and train.
//
// # Entry points
//
//   - [Run] checks a workspace's candidates (or a folder of images), optionally filters, writes the
//     private report (privacy/report.json, privacy/report.html), the public summary
//     (privacy/summary.json, [Summary]; other stages read it as contract.PrivacySummary) and,
//     when the gate passes, the approved set.
//   - [Evaluate] runs every check on in-memory [Sets]; [Search] is the exact k-NN engine;
//     [ParsePolicy] reads a policy file; [BenchNN] times the search.
//
// # Distances
//
// The pixel embedding searches zero-mean unit-norm centre crops, then re-scores the nearest
// candidates with a shift-tolerant distance (best Pearson correlation over shifts of up to
// Policy.Memorization.ShiftPixels), so copies that were shifted or had their contrast changed are
// caught. Learned embeddings use plain Euclidean distance.
//
// # Invariants
//
//   - Search is exact, never approximate, in the searched vectors (for pixels, the unshifted
//     crops): a missed neighbour would be a false pass. The nearest Policy.Rerank candidates of
//     every list are re-scored in float64 before any threshold decides. For pixels that re-score
//     is the shift-tolerant distance, computed for those candidates only: a film that would be
//     nearer after a shift but is not among the Rerank nearest unshifted crops is not seen (a
//     check of one demo workspace found this for 3 of 8 effusion images; the distance reported
//     was then that of the nearest candidate, not the exact shift-tolerant minimum).
//   - A threshold is never loosened by the code; only the policy file sets thresholds.
//   - Memorization is decided per image; statistical checks compare a seeded bootstrap bound with
//     the threshold (Policy.Statistics), and the same inputs and seed give the same decisions.
//   - The full report names real images and is private (0600); the public summary holds aggregate
//     numbers only: no image id, patient pseudonym, path or pixel.
//   - The approved set is written only when the gate passes, images first into a temporary folder
//     renamed into place, then approved/index.csv.
//   - Libraries never write to stdout; progress goes through internal/progress.
//   - Memory grows with the images' 8-bit pixels and a few hundred bytes per image, not with
//     distance matrices: normalised crops are made per search block and only each row's nearest
//     candidates are kept. Block sizes and float32 or 8-bit input change no result.
//   - A run sharded by reference block (Config.Shard, then Config.Merge) decides and reports
//     exactly as one run does; shards of other inputs are refused ([ErrShards]).
package privacy
