#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/nih/pooled/ (issue 13, fourth session,
# 2026-12-05): the four minority classes started from a generator trained on every class's
# train films (train gan --init pooled), against the per-class generators of ../augmented/.
# Binaries built from the tree of commit 56ca6a1 (the commit that added --init pooled; built just
# before it, differing from it only in the wording of two error messages):
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" -o raysynth ./cmd/raysynth
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" -o ganscore ./cmd/ganscore
# Every long stage ran through the session's CPU-slot wrapper (one core, nice -n 10), fp32,
# OPENBLAS_NUM_THREADS=1, on 2 shared cores.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
OUT=${1:-/tmp/raysynth-seed}
KWS=${KWS:-$OUT/kermany-released}   # the Kermany workspace of ../../kermany/released/ (release A)
KWSB=${KWSB:-$OUT/kermany-released-b} # release B's (the 1,200-step virus generator)
# the augmented workspace of ../commands.sh after its gate: the same ingest (same split), the
# same normal generator (1,000 steps, from scratch) and the same classifier for the gate's
# second embedding and for ganscore; the four minority generators and every later output removed
ws=$OUT/nih-pooled
cp -r "$OUT/nih-augmented" "$ws"
rm -rf "$ws"/{synth,privacy,eval,privacy-gate.json} "$ws"/gan/{cardiomegaly,atelectasis,effusion,infiltration}
# the pooled generator: every class's 479 train films (137 patients), 2,000 steps of 32, then
# cardiomegaly fine-tuned from it for 300 steps; then the other three, each 300 steps from the
# same pooled generator (the first command trains it, the others find it up to date)
./raysynth --workspace "$ws" train gan --recipe augmented --init pooled --pooled-steps 2000 --classes cardiomegaly --steps 300 --batch 32 --min-images 18 --seed 1
for c in atelectasis effusion infiltration; do
  ./raysynth --workspace "$ws" train gan --recipe augmented --init pooled --pooled-steps 2000 --classes $c --steps 300 --batch 32 --min-images 18 --seed 1
done
# the same synthetic set size and gate as ../augmented/ (default thresholds)
./raysynth --workspace "$ws" synth --per-class 350 --max-per-real 0 --seed 1
./raysynth --workspace "$ws" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$ws/privacy-gate.json" || true
# fidelity as in ../ganscore.tsv (the same classifier embedding, 500 samples, seed 1)
for c in cardiomegaly atelectasis effusion infiltration; do
  ./ganscore -workspace "$ws" -class $c -checkpoint "$ws/gan/$c/checkpoint.ckpt" -weights last -samples 500 -label "$c"$'\tpooled2000+300\tlast'
done
# the pooled generator itself, unrefined, scored as if it were cardiomegaly's
./ganscore -workspace "$ws" -class cardiomegaly -checkpoint "$ws/gan-pooled/checkpoint.ckpt" -weights last -samples 500 -label $'cardiomegaly\tpooled2000-only\tlast'

# steps100/ and steps1/: the same pooled generator (copied, found up to date), 100 and 1
# fine-tuning steps per minority class, the same synth, gate and scores
for n in 100 1; do
  w=$OUT/nih-pooled$n
  cp -r "$OUT/nih-augmented" "$w"
  rm -rf "$w"/{synth,privacy,eval,privacy-gate.json} "$w"/gan/{cardiomegaly,atelectasis,effusion,infiltration}
  cp -r "$ws/gan-pooled" "$w/gan-pooled"
  ./raysynth --workspace "$w" train gan --recipe augmented --init pooled --pooled-steps 2000 --classes cardiomegaly,atelectasis,effusion,infiltration --steps $n --batch 32 --min-images 18 --seed 1
  ./raysynth --workspace "$w" synth --per-class 350 --max-per-real 0 --seed 1
  ./raysynth --workspace "$w" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$w/privacy-gate.json" || true
  for c in cardiomegaly atelectasis effusion infiltration; do
    ./ganscore -workspace "$w" -class $c -checkpoint "$w/gan/$c/checkpoint.ckpt" -weights last -samples 500 -label "$c"$'\tpooled2000+'$n$'\tlast'
  done
done
# steps100-cap6/: the 100-step generators, a smaller release (at most 6 films per train film)
w=$OUT/nih-pooled100-r6
cp -r "$OUT/nih-pooled100" "$w" && rm -rf "$w"/{synth,privacy,privacy-gate.json}
./raysynth --workspace "$w" synth --per-class 350 --max-per-real 6 --seed 1
./raysynth --workspace "$w" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$w/privacy-gate.json" || true
# control-holdout/: real films no model saw (the 152 normal holdout films) offered as the
# candidates of each minority class, in a fresh copy of the augmented workspace
w=$OUT/nih-control
cp -r "$OUT/nih-augmented" "$w" && rm -rf "$w"/{synth,privacy,eval,privacy-gate.json}
for c in cardiomegaly atelectasis effusion infiltration; do
  mkdir -p "$OUT/control-cand/$c"
  awk -F, '$3=="normal" && $4=="holdout" {print $1}' "$w/real/index.csv" | while read -r id; do cp "$w/real/images/$id.png" "$OUT/control-cand/$c/"; done
done
./raysynth --workspace "$w" privacy --embedding pixel,classifier --candidates "$OUT/control-cand" --json > "$w/privacy-gate.json" || true
# kermany-virus/: the Kermany workspace of ../../kermany/released/ (its ingest, real films and
# classifier copied; $KWS is that workspace, $KWSB release B's), a pooled generator on all its
# train films, virus fine-tuned from it and resumed to 300, 600, 1,200 and 2,400 steps, each
# scored; the per-class generators of release A (2,400 steps) and B (1,200) rescored beside them
k=$OUT/kermany-pooled
mkdir -p "$k/ref"
for d in workspace.json real private ingest classifier; do cp -r "$KWS/$d" "$k/"; done
./ganscore -workspace "$k" -class virus -checkpoint "$KWSB/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label $'virus\tper-class 1200\tlast'
./ganscore -workspace "$k" -class virus -checkpoint "$KWS/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label $'virus\tper-class 2400\tlast'
./raysynth --workspace "$k" train gan --recipe augmented --init pooled --pooled-steps 2000 --classes virus --steps 300 --batch 32 --seed 1
./ganscore -workspace "$k" -class virus -checkpoint "$k/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label $'virus\tpooled2000+300\tlast'
./ganscore -workspace "$k" -class virus -checkpoint "$k/gan-pooled/checkpoint.ckpt" -weights last -samples 500 -label $'virus\tpooled2000-only\tlast'
for n in 600 1200 2400; do
  ./raysynth --workspace "$k" train gan --recipe augmented --init pooled --pooled-steps 2000 --classes virus --steps $n --batch 32 --seed 1
  ./ganscore -workspace "$k" -class virus -checkpoint "$k/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label "virus"$'\tpooled2000+'$n$'\tlast'
done
# kermany-virus/privacy-summary.json: the 300-step virus generator (saved after its run), the
# released normal and bacteria generators, as release B: 1,800 films of every class, the gate
g=$OUT/kermany-gate300
mkdir -p "$g/gan"
for d in workspace.json real private ingest classifier gan-pooled; do cp -r "$k/$d" "$g/"; done
cp -r "$OUT/kermany-virus-300" "$g/gan/virus"   # cp -r "$k/gan/virus" "$OUT/kermany-virus-300" after the 300-step run
cp -r "$KWS/gan/normal" "$KWS/gan/bacteria" "$g/gan/"
./raysynth --workspace "$g" synth --per-class 1800 --seed 1
./raysynth --workspace "$g" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$g/privacy-gate.json"
# kermany-virus/report.*: the five regimes on the approved set; (a), (d), (e) reused from release
# A's eval/runs (copied in; b and c runs removed)
cp -r "$KWS/eval" "$g/eval" && rm -f "$g"/eval/runs/b-* "$g"/eval/runs/c-* "$g"/eval/report.*
./raysynth --workspace "$g" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > report.json
