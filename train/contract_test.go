package train

import (
	"encoding/json"
	"testing"

	"github.com/raysynth/raysynth/internal/contract"
)

// TestGANSummaryMatchesContract keeps gan/<class>/summary.json ([GANSummary]) readable as the
// other stages read it: every field they use survives the round trip, with and without DP.
func TestGANSummaryMatchesContract(t *testing.T) {
	dp, err := json.Marshal(DPSummary{Epsilon: 4, Delta: 1e-5, NoiseMultiplier: 1.1, Steps: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dp   json.RawMessage
	}{{"private", dp}, {"non-private", json.RawMessage("null")}} {
		t.Run(tc.name, func(t *testing.T) {
			s := GANSummary{Class: "virus", Size: 64, Seed: 7, CodeVersion: "v1", TrainFingerprint: "f00d", TrainImages: 104,
				TrainPatients: 51, Checkpoint: "checkpoint.ckpt", CheckpointSHA256: "beef", DP: tc.dp, Precision: "bf16",
				SampleCheck: &SampleCheck{Samples: 64, TrainFilms: 104, DistinctNearest: 3, TopNearestShare: 0.9, SpreadRatio: 0.1,
					Warnings: []string{"few distinct nearest training films"}}}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var c contract.GANSummary
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			if c.Class != s.Class || c.Size != s.Size || c.Seed == nil || *c.Seed != s.Seed || c.CodeVersion != s.CodeVersion ||
				c.TrainFingerprint != s.TrainFingerprint || c.TrainImages != s.TrainImages || c.TrainPatients != s.TrainPatients ||
				c.Checkpoint != s.Checkpoint || c.CheckpointSHA256 != s.CheckpointSHA256 || c.Precision != s.Precision {
				t.Errorf("contract reads %+v from %s", c, b)
			}
			if sc := c.SampleCheck; sc == nil || sc.Samples != 64 || sc.TrainFilms != 104 || sc.DistinctNearest != 3 ||
				sc.TopNearestShare != 0.9 || sc.SpreadRatio != 0.1 || len(sc.Warnings) != 1 {
				t.Errorf("sample check read as %+v from %s", c.SampleCheck, b)
			}
			if private := tc.name == "private"; (c.DP != nil) != private || (private && (c.DP.Epsilon != 4 || c.DP.Delta != 1e-5)) {
				t.Errorf("dp read as %+v from %s", c.DP, b)
			}
		})
	}
}
