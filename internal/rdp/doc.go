// Package rdp is a Rényi differential privacy (RDP) accountant for the sampled Gaussian
// mechanism, the noise that DP-SGD adds: each step samples every unit of privacy (for raysynth, a
// patient) independently with probability q, clips each unit's gradient to norm C and adds
// Gaussian noise of standard deviation σ·C to the sum. The package turns (q, σ, steps) into an
// (ε, δ) guarantee, and a target ε back into the σ needed. It is the same accountant as Opacus'
// and TF Privacy's (Mironov, Talwar and Zhang 2019), written from the formulas.
//
// # Formulas
//
// One step of the sampled Gaussian mechanism at order α has RDP(α) = log A_α / (α − 1), where
// A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α], μ0 = N(0, σ²) and μ = (1 − q)·μ0 + q·N(1, σ²).
//   - Integer α: A_α = Σ_{i=0..α} C(α,i) (1−q)^{α−i} q^i exp((i²−i)/(2σ²)), summed in log space
//     (binomial coefficients from [math.Lgamma]).
//   - Fractional α: the two-sided series of Mironov et al. (TF Privacy's _compute_log_a_frac),
//     with generalised binomial coefficients of alternating sign and log erfc computed without
//     underflow (an asymptotic series beyond x = 20).
//   - Edge cases: q = 0 gives 0, σ = 0 gives +Inf, q = 1 gives α/(2σ²) (the plain Gaussian).
//
// RDP adds up over steps and over phases with different (q, σ) ([Compose], [Accountant]).
// [Epsilon] converts to (ε, δ) with the improved bound of Balle et al. 2020,
// ε = min_α [RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1)], and reports the order that attains
// it; [EpsilonClassic] is the older bound ε = RDP(α) − log δ/(α−1), kept for comparison.
// [CalibrateNoise] finds by bisection the smallest σ whose ε does not exceed a target.
//
// # Invariants
//
//   - Pure math: no I/O, no logging, no randomness; the same inputs give the same floats.
//   - Every reported ε is an upper bound: calibration returns a σ whose ε is at most the target,
//     never one that merely rounds to it; a negative bound is reported as 0.
//   - [Version] names the formulas; it changes whenever a result for the same inputs could change,
//     so checkpoints and manifests that record it stay meaningful.
//   - Imports nothing of this module.
package rdp
