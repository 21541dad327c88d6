package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/raysynth/raysynth/internal/nn"
)

// ganKind is the Kind of a DCGAN checkpoint.
const ganKind = "dcgan"

// ganMeta is a DCGAN checkpoint's metadata: everything a resumed run needs besides tensors.
type ganMeta struct {
	Arch             Arch     `json:"arch"`
	Class            string   `json:"class"`
	Epoch            int      `json:"epoch"` // completed epochs
	Batch            int      `json:"batch"`
	LR               float64  `json:"lr"`
	Beta1            float64  `json:"beta1"`
	Seed             uint64   `json:"seed"`
	TrainFingerprint string   `json:"train_fingerprint"`
	TrainImages      int      `json:"train_images"`
	TrainPatients    int      `json:"train_patients"`
	CodeVersion      string   `json:"code_version"`
	RNG              []byte   `json:"rng"` // PCG state
	AdamDStep        int64    `json:"adam_d_step"`
	AdamGStep        int64    `json:"adam_g_step"`
	Steps            int64    `json:"steps"`
	Precision        string   `json:"precision,omitempty"` // of the matrix products; "" (older checkpoints): fp32
	DP               *dpState `json:"dp,omitempty"`        // differentially private training (dp.go)
	// Recipe: how it is trained and sampled (a checkpoint from before recipes reads as the
	// plain DCGAN without a moving average). With Recipe.EMADecay > 0 the checkpoint carries
	// the average ("ema." tensors) and its recalibrated BatchNorm statistics.
	Recipe Recipe `json:"recipe"`
	// Init: the pooled generator the weights started from (nil: random weights).
	Init *PooledInit `json:"init,omitempty"`
}

func paramTensors(prefix string, ps []*nn.Param) []Tensor {
	var ts []Tensor
	for _, p := range ps {
		ts = append(ts, Tensor{Name: prefix + p.Name, Shape: p.Shape, Data: p.Data})
	}
	return ts
}

func statTensors(m *dcgan) []Tensor {
	var ts []Tensor
	for i, s := range m.bnStats() {
		n := len(s.Mean)
		ts = append(ts, Tensor{Name: fmt.Sprintf("bn%d.running_mean", i), Shape: []int{n}, Data: s.Mean},
			Tensor{Name: fmt.Sprintf("bn%d.running_var", i), Shape: []int{n}, Data: s.Var})
	}
	return ts
}

func adamTensors(prefix string, ps []*nn.Param, a *nn.Adam) []Tensor {
	var ts []Tensor
	for i, p := range ps {
		ts = append(ts, Tensor{Name: prefix + p.Name + ".m", Shape: p.Shape, Data: a.M[i]},
			Tensor{Name: prefix + p.Name + ".v", Shape: p.Shape, Data: a.V[i]})
	}
	return ts
}

// ganCheckpoint assembles a checkpoint of the model, its optimisers and the RNG.
func ganCheckpoint(meta ganMeta, m *dcgan, st *stepper, src *rand.PCG, avg *ema) (*Checkpoint, error) {
	var err error
	if meta.RNG, err = src.MarshalBinary(); err != nil {
		return nil, err
	}
	meta.AdamDStep, meta.AdamGStep = st.optD.Step, st.optG.Step
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	ts := paramTensors("", m.gParams())
	ts = append(ts, paramTensors("", m.dParams())...)
	ts = append(ts, statTensors(m)...)
	ts = append(ts, adamTensors("adam.", m.dParams(), st.optD)...)
	ts = append(ts, adamTensors("adam.", m.gParams(), st.optG)...)
	if avg != nil {
		ts = append(ts, emaTensors(m, avg)...)
	}
	return &Checkpoint{Kind: ganKind, Meta: raw, Tensors: ts}, nil
}

// loadInto copies the named tensors of c into dst (same names and sizes), failing on any missing.
func loadInto(c *Checkpoint, dst []Tensor) error {
	src := c.tensorMap()
	for _, d := range dst {
		s, ok := src[d.Name]
		if !ok {
			return fmt.Errorf("tensor %s missing: %w", d.Name, ErrBadCheckpoint)
		}
		if len(s.Data) != len(d.Data) {
			return fmt.Errorf("tensor %s has %d values, the model %d: %w", d.Name, len(s.Data), len(d.Data), ErrBadCheckpoint)
		}
		copy(d.Data, s.Data)
	}
	return nil
}

// ganFromCheckpoint rebuilds the model (and, with st, the optimisers) from a checkpoint.
func ganFromCheckpoint(c *Checkpoint) (ganMeta, *dcgan, error) {
	var meta ganMeta
	if c.Kind != ganKind {
		return meta, nil, fmt.Errorf("checkpoint kind %q, want %q: %w", c.Kind, ganKind, ErrBadCheckpoint)
	}
	if err := json.Unmarshal(c.Meta, &meta); err != nil {
		return meta, nil, fmt.Errorf("checkpoint metadata: %v: %w", err, ErrBadCheckpoint)
	}
	if meta.Recipe.Name == "" {
		meta.Recipe = Recipe{Name: RecipeDCGAN}
	}
	if err := meta.Recipe.Validate(); err != nil {
		return meta, nil, fmt.Errorf("checkpoint recipe: %v: %w", err, ErrBadCheckpoint)
	}
	if err := meta.Arch.Validate(); err != nil {
		return meta, nil, fmt.Errorf("checkpoint architecture: %v: %w", err, ErrBadCheckpoint)
	}
	prec, err := parseRecordedPrecision(meta.Precision)
	if err != nil {
		return meta, nil, fmt.Errorf("checkpoint precision: %v: %w", err, ErrBadCheckpoint)
	}
	m := newDCGAN(meta.Arch, rand.New(rand.NewPCG(0, 0)))
	m.prec = prec
	ts := paramTensors("", m.gParams())
	ts = append(ts, paramTensors("", m.dParams())...)
	ts = append(ts, statTensors(m)...)
	if err := loadInto(c, ts); err != nil {
		return meta, nil, err
	}
	return meta, m, nil
}

// restoreOptimisers loads the Adam moments and step counts.
func restoreOptimisers(c *Checkpoint, meta ganMeta, m *dcgan, st *stepper) error {
	ts := adamTensors("adam.", m.dParams(), st.optD)
	ts = append(ts, adamTensors("adam.", m.gParams(), st.optG)...)
	if err := loadInto(c, ts); err != nil {
		return err
	}
	st.optD.Step, st.optG.Step = meta.AdamDStep, meta.AdamGStep
	return nil
}

// emaTensors are the moving average's weights ("ema." + name) and BatchNorm statistics.
func emaTensors(m *dcgan, avg *ema) []Tensor {
	var ts []Tensor
	for i, p := range m.gParams() {
		ts = append(ts, Tensor{Name: "ema." + p.Name, Shape: p.Shape, Data: avg.params[i]})
	}
	for i, s := range avg.stats {
		n := len(s.Mean)
		ts = append(ts, Tensor{Name: fmt.Sprintf("ema.bn%d.running_mean", i), Shape: []int{n}, Data: s.Mean},
			Tensor{Name: fmt.Sprintf("ema.bn%d.running_var", i), Shape: []int{n}, Data: s.Var})
	}
	return ts
}

// loadEMA fills avg (made for m) from a checkpoint.
func loadEMA(c *Checkpoint, m *dcgan, avg *ema) error {
	return loadInto(c, emaTensors(m, avg))
}
