package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"

	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/nn"
	"github.com/raysynth/raysynth/internal/progress"
)

// FitConfig is one classifier training run on examples in memory (see [Fit]).
type FitConfig struct {
	Arch        ClassifierArch
	Classes     []string
	Epochs      int
	Batch       int
	LR          float64
	Seed        uint64
	Weighted    bool // class-weighted loss (weights N / (K·n_c))
	Oversample  bool // repeat minority-class examples up to the majority count each epoch
	Augment     bool
	Patience    int    // epochs without a better validation loss before stopping; 0 = never
	Checkpoint  string // training state file, "" for none
	Restart     bool   // replace a checkpoint made with other settings instead of refusing it
	CodeVersion string
	Precision   Precision // of the training's matrix products (the saved model is evaluated in fp32)
	Task        progress.Task
	Log         *slog.Logger
}

// EpochStat is one epoch of classifier training.
type EpochStat struct {
	Epoch     int            `json:"epoch"`
	TrainLoss float64        `json:"train_loss"`
	ValLoss   metrics.Metric `json:"val_loss"`
	ValAcc    metrics.Metric `json:"val_accuracy"`
	ValBAcc   metrics.Metric `json:"val_balanced_accuracy"`
}

// classifierMeta is a classifier checkpoint's metadata.
type classifierMeta struct {
	Arch         ClassifierArch `json:"arch"`
	Classes      []string       `json:"classes"`
	Epoch        int            `json:"epoch"` // completed epochs
	Epochs       int            `json:"epochs"`
	Batch        int            `json:"batch"`
	LR           float64        `json:"lr"`
	Seed         uint64         `json:"seed"`
	Weighted     bool           `json:"class_weighted"`
	Oversample   bool           `json:"oversample"`
	Augment      bool           `json:"augment"`
	Patience     int            `json:"patience"`
	Fingerprint  string         `json:"fingerprint"` // settings and training/validation images
	CodeVersion  string         `json:"code_version"`
	Precision    string         `json:"precision,omitempty"` // of the training's matrix products; "": fp32
	AdamStep     int64          `json:"adam_step"`
	BestEpoch    int            `json:"best_epoch"`
	BestLoss     metrics.Metric `json:"best_val_loss"`
	BadEpochs    int            `json:"bad_epochs"`
	Done         bool           `json:"done"`
	StoppedEarly bool           `json:"stopped_early"`
	ClassWeights []float32      `json:"class_weights,omitempty"`
	TrainCounts  []int          `json:"train_counts"`
	ValCounts    []int          `json:"val_counts"`
	History      []EpochStat    `json:"history"`
}

// FitResult is a finished training run; the model holds the best epoch's weights.
type FitResult struct {
	model   *cnn
	meta    classifierMeta
	resumed bool
}

const (
	classifierKind      = "classifier"       // a trained model (best weights)
	classifierStateKind = "classifier-state" // a training run in progress
)

func cnnTensors(prefix string, m *cnn) []Tensor {
	ts := paramTensors(prefix, m.params())
	for i, s := range m.bnStats {
		n := len(s.Mean)
		ts = append(ts, Tensor{Name: fmt.Sprintf("%sc.bn%d.running_mean", prefix, i+1), Shape: []int{n}, Data: s.Mean},
			Tensor{Name: fmt.Sprintf("%sc.bn%d.running_var", prefix, i+1), Shape: []int{n}, Data: s.Var})
	}
	return ts
}

// copyModel copies all weights and statistics of src into dst (same architecture).
func copyModel(dst, src *cnn) {
	d, s := cnnTensors("", dst), cnnTensors("", src)
	for i := range d {
		copy(d[i].Data, s[i].Data)
	}
}

func classWeights(counts []int) []float32 {
	var n, present int
	for _, c := range counts {
		n += c
		if c > 0 {
			present++
		}
	}
	w := make([]float32, len(counts))
	for i, c := range counts {
		if c > 0 {
			w[i] = float32(float64(n) / float64(present*c))
		}
	}
	return w
}

// epochOrder returns the order of training examples for an epoch: every example once, plus with
// oversampling random repeats of the smaller classes up to the largest class's count; shuffled.
func epochOrder(ex []Example, k int, oversample bool, rng *rand.Rand) []int32 {
	order := make([]int32, len(ex))
	for i := range order {
		order[i] = int32(i)
	}
	if oversample {
		byClass := make([][]int32, k)
		for i, e := range ex {
			byClass[e.Class()] = append(byClass[e.Class()], int32(i))
		}
		most := 0
		for _, b := range byClass {
			most = max(most, len(b))
		}
		for _, b := range byClass {
			for j := len(b); j > 0 && j < most; j++ {
				order = append(order, b[rng.IntN(len(b))])
			}
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// Settings describes the run's settings for its fingerprint (with the numbers of training and
// validation examples).
func (cfg FitConfig) Settings(trainN, valN int) string {
	s := map[string]any{"arch": cfg.Arch, "classes": cfg.Classes, "epochs": cfg.Epochs, "batch": cfg.Batch,
		"lr": cfg.LR, "seed": cfg.Seed, "weighted": cfg.Weighted, "oversample": cfg.Oversample, "augment": cfg.Augment,
		"patience": cfg.Patience, "train": trainN, "val": valN}
	if cfg.Precision != FP32 { // fp32 runs keep the fingerprints they had before precisions existed
		s["precision"] = cfg.Precision.String()
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// fit trains a classifier on trainEx, stopping early on the validation loss over valEx (real
// images never trained on). It resumes from cfg.checkpoint when that holds a run with the same
// settings and images, and writes it after every epoch.
func Fit(ctx context.Context, cfg FitConfig, trainEx, valEx []Example) (*FitResult, error) {
	if err := cfg.Arch.Validate(); err != nil {
		return nil, err
	}
	if len(trainEx) < 2 {
		return nil, fmt.Errorf("%d training images: need at least 2", len(trainEx))
	}
	k := cfg.Arch.Classes
	batch := min(cfg.Batch, len(trainEx))
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fp, err := Fingerprint(cfg.Settings(len(trainEx), len(valEx)), map[string][]Example{"train": trainEx, "val": valEx})
	if err != nil {
		return nil, err
	}
	model := newCNN(cfg.Arch, rand.New(rand.NewPCG(cfg.Seed, 0xc1a55)))
	model.prec = cfg.Precision
	best := newCNN(cfg.Arch, rand.New(rand.NewPCG(0, 0)))
	copyModel(best, model)
	meta := classifierMeta{Arch: cfg.Arch, Classes: cfg.Classes, Epochs: cfg.Epochs, Batch: batch, LR: cfg.LR, Seed: cfg.Seed,
		Weighted: cfg.Weighted, Oversample: cfg.Oversample, Augment: cfg.Augment, Patience: cfg.Patience, Fingerprint: fp,
		CodeVersion: cfg.CodeVersion, Precision: cfg.Precision.String(), BestLoss: metrics.NaN, TrainCounts: ClassCounts(trainEx, k), ValCounts: ClassCounts(valEx, k)}
	var weights []float32
	if cfg.Weighted {
		weights = classWeights(meta.TrainCounts)
		meta.ClassWeights = weights
	}
	tn, err := newTrainNet(model, batch, cfg.LR)
	if err != nil {
		return nil, err
	}
	defer tn.close()
	tn.targets.Weights = weights

	res := &FitResult{model: model}
	if cfg.Checkpoint != "" {
		c, _, err := ReadCheckpoint(cfg.Checkpoint)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("%w (delete it to start over)", err)
		default:
			var old classifierMeta
			if c.Kind != classifierStateKind || json.Unmarshal(c.Meta, &old) != nil {
				return nil, fmt.Errorf("read checkpoint %s: %w", cfg.Checkpoint, ErrBadCheckpoint)
			}
			if old.Fingerprint != fp || old.Epochs != cfg.Epochs {
				if !cfg.Restart {
					return nil, fmt.Errorf("%s: %w (other settings, seed or training images)", cfg.Checkpoint, ErrCheckpointMismatch)
				}
				log.Info("checkpoint made with other settings; starting over", "checkpoint", cfg.Checkpoint)
			} else {
				ts := cnnTensors("", model)
				ts = append(ts, cnnTensors("best.", best)...)
				ts = append(ts, adamTensors("adam.", model.params(), tn.opt)...)
				if err := loadInto(c, ts); err != nil {
					return nil, fmt.Errorf("read checkpoint %s: %w", cfg.Checkpoint, err)
				}
				tn.opt.Step = old.AdamStep
				meta = old
				meta.CodeVersion = cfg.CodeVersion
				res.resumed = true
				log.Info("resuming classifier training", "epoch", meta.Epoch, "epochs", cfg.Epochs)
			}
		}
	}
	save := func() error {
		if cfg.Checkpoint == "" {
			return nil
		}
		meta.AdamStep = tn.opt.Step
		raw, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		ts := cnnTensors("", model)
		ts = append(ts, cnnTensors("best.", best)...)
		ts = append(ts, adamTensors("adam.", model.params(), tn.opt)...)
		_, err = WriteCheckpoint(cfg.Checkpoint, &Checkpoint{Kind: classifierStateKind, Meta: raw, Tensors: ts})
		return err
	}

	var ev *evalNet
	if len(valEx) > 0 {
		if ev, err = newEvalNet(model, min(64, len(valEx))); err != nil {
			return nil, err
		}
		defer ev.close()
	}
	size := cfg.Arch.Size
	pix := size * size
	var film []float32 // one film read from disk
	task := cfg.Task
	if task == nil {
		task = progress.Nop().Start("", 0, "")
	}
	for epoch := meta.Epoch + 1; epoch <= cfg.Epochs && !meta.Done; epoch++ {
		order := epochOrder(trainEx, k, cfg.Oversample, rand.New(rand.NewPCG(cfg.Seed, 0xe90c0000+uint64(epoch))))
		nb := (len(order) + batch - 1) / batch
		var lossSum float64
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for j := 0; j < batch; j++ {
				pos := (b*batch + j) % len(order)
				e := trainEx[order[pos]]
				dst := tn.x[j*pix : (j+1)*pix]
				px, err := e.Pixels(film)
				if err != nil {
					return nil, err
				}
				film = px
				if len(px) != pix {
					return nil, fmt.Errorf("image %s has %d pixels, the classifier takes %d", e.ID(), len(px), pix)
				}
				if cfg.Augment {
					augment(dst, px, size, rand.New(rand.NewPCG(cfg.Seed^0xa06, uint64(epoch)<<32|uint64(pos))))
				} else {
					copy(dst, px)
				}
				tn.targets.Labels[j] = e.Class()
			}
			l, err := tn.step(cfg.Seed ^ (uint64(epoch)<<32 | uint64(b)))
			if err != nil {
				return nil, err
			}
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return nil, fmt.Errorf("classifier training diverged at epoch %d (loss %v); lower the learning rate", epoch, l)
			}
			lossSum += float64(l)
			task.Add(1)
		}
		st := EpochStat{Epoch: epoch, TrainLoss: lossSum / float64(nb), ValLoss: metrics.NaN, ValAcc: metrics.NaN, ValBAcc: metrics.NaN}
		if ev != nil {
			loss, acc, bacc, err := validate(ctx, ev, valEx, k)
			if err != nil {
				return nil, err
			}
			st.ValLoss, st.ValAcc, st.ValBAcc = metrics.Metric(loss), acc, bacc
			if !meta.BestLoss.Defined() || loss < float64(meta.BestLoss)-1e-6 {
				meta.BestLoss, meta.BestEpoch, meta.BadEpochs = metrics.Metric(loss), epoch, 0
				copyModel(best, model)
			} else {
				meta.BadEpochs++
			}
		} else {
			meta.BestEpoch = epoch
			copyModel(best, model)
		}
		meta.History = append(meta.History, st)
		meta.Epoch = epoch
		task.Status(fmt.Sprintf("epoch %d/%d loss %.3f val_loss %s val_bacc %s", epoch, cfg.Epochs, st.TrainLoss, st.ValLoss.Format(3), st.ValBAcc.Format(3)))
		log.Debug("classifier epoch", "epoch", epoch, "train_loss", st.TrainLoss, "val_loss", float64(st.ValLoss), "val_balanced_accuracy", float64(st.ValBAcc))
		if cfg.Patience > 0 && meta.BadEpochs >= cfg.Patience {
			meta.StoppedEarly = true
			meta.Done = true
		}
		if epoch == cfg.Epochs {
			meta.Done = true
		}
		if err := save(); err != nil {
			return nil, err
		}
	}
	copyModel(model, best)
	res.meta = meta
	return res, nil
}

// validate returns the mean cross-entropy, accuracy and balanced accuracy on examples, reading
// one batch of images at a time and keeping nothing per image.
func validate(ctx context.Context, ev *evalNet, ex []Example, k int) (loss float64, acc, bacc metrics.Metric, err error) {
	correct := 0
	sens := make([]float64, k)
	n := make([]int, k)
	bufs := make([][]float32, ev.batch)
	imgs := make([][]float32, 0, ev.batch)
	for i := 0; i < len(ex); i += ev.batch {
		block := ex[i:min(i+ev.batch, len(ex))]
		imgs = imgs[:0]
		for j, e := range block {
			px, err := e.Pixels(bufs[j])
			if err != nil {
				return 0, 0, 0, err
			}
			bufs[j] = px
			imgs = append(imgs, px)
		}
		_, probs, err := infer(ctx, ev, imgs)
		if err != nil {
			return 0, 0, 0, err
		}
		pred := metrics.Argmax(probs)
		for j, p := range probs {
			t := block[j].Class()
			loss -= math.Log(math.Max(p[t], 1e-12))
			n[t]++
			if pred[j] == t {
				correct++
				sens[t]++
			}
		}
	}
	loss /= float64(len(ex))
	var s float64
	var present int
	for c := range sens {
		if n[c] > 0 {
			s += sens[c] / float64(n[c])
			present++
		}
	}
	return loss, metrics.Metric(float64(correct) / float64(len(ex))), metrics.Metric(s / float64(present)), nil
}

// infer runs images through an eval network and returns embeddings and class probabilities.
func infer(ctx context.Context, ev *evalNet, imgs [][]float32) (emb [][]float32, probs [][]float64, err error) {
	for i := 0; i < len(imgs); i += ev.batch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		e, l, err := ev.run(imgs[i:min(i+ev.batch, len(imgs))])
		if err != nil {
			return nil, nil, err
		}
		emb = append(emb, e...)
		for _, row := range l {
			probs = append(probs, nn.Softmax(row, len(row))[0])
		}
	}
	return emb, probs, nil
}

// Classifier returns the trained model (its best epoch's weights) as a [Classifier] named name.
func (r *FitResult) Classifier(name string) *Classifier {
	return newClassifier(r.model, r.meta.Classes, name)
}

// WriteModel writes the trained model's weights and statistics to path, as [LoadClassifier] reads
// them.
func (r *FitResult) WriteModel(path string) error {
	_, err := writeClassifierModel(path, r.model, r.meta)
	return err
}

// EpochsRun is the number of epochs trained; BestEpoch the epoch whose weights were kept;
// StoppedEarly says whether patience ended the run.
func (r *FitResult) EpochsRun() int     { return r.meta.Epoch }
func (r *FitResult) BestEpoch() int     { return r.meta.BestEpoch }
func (r *FitResult) StoppedEarly() bool { return r.meta.StoppedEarly }
