// Package privacy decides whether a synthetic set may leave the hospital: exact nearest-neighbour
// search between synthetic, training and holdout images, memorization, distance-to-closest-record,
// membership-inference and adversarial-accuracy checks, the policy gate, and privacy-enhancing
// filtering.
//
// # Imports
//
// Only internal/... of this module.
//
// # Invariants
//
//   - Search is exact, never approximate: a missed neighbour would be a false pass. Candidates
//     near any threshold are re-ranked in float64.
//   - A threshold is never loosened by the code; only the policy file sets thresholds.
//   - The full report names real images and is private; the public summary holds aggregate numbers
//     only.
package privacy
