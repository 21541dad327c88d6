package privacy

import "fmt"

// What a steward does after the gate, in one place: report.html, raysynth privacy --help and the
// terminal all say the same.
const (
	// AdviceCopies is the next step when memorization checks flagged candidates as copies.
	// Advice puts the number of flagged candidates before it.
	AdviceCopies = "raysynth privacy --filter removes them and generates replacements; or retrain with fewer epochs, more images or differential privacy (raysynth train gan --dp-epsilon)"
	// AdviceDistribution is the next step when a distributional check failed.
	AdviceDistribution = "a failed distribution check (share nearer train, percentiles, membership, adversarial) means the generators as a whole sit closer to their training patients than to unseen ones: retrain (fewer epochs, an earlier checkpoint, more images or --dp-epsilon), then raysynth synth and raysynth privacy again"
	// AdviceNeverLoosen closes every failed-gate advice.
	AdviceNeverLoosen = "never loosen a threshold to make a run pass"
	// AdvicePassed is the next step after a passed gate.
	AdvicePassed = "the approved images are in approved/: make the signed release with raysynth bundle --name NAME --version VERSION --key KEY, then raysynth publish BUNDLE --to s3://BUCKET/PREFIX (raysynth run does both); the release carries only the public summary"
)

// Advice returns the next steps for the checks that failed (none when the gate passed) and the
// number of candidates flagged as copies.
func Advice(failed []Check, flagged int) []string {
	if len(failed) == 0 {
		return []string{AdvicePassed}
	}
	var out []string
	distribution := false
	for _, c := range failed {
		if c.Name != "memorized_images" {
			distribution = true
		}
	}
	if flagged > 0 {
		out = append(out, fmt.Sprintf("%d candidate(s) flagged as copies or near-copies of a training patient: %s", flagged, AdviceCopies))
	}
	if distribution {
		out = append(out, AdviceDistribution)
	}
	return append(out, AdviceNeverLoosen)
}
