#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/kermany/released/ (issue 13, second
# session, 2026-12-04), run from the repository root with `make build`. WS is the workspace of
# ../commands.sh (Kermany, --keep virus=0.1, the augmented generators: virus 2,400 steps, normal
# and bacteria 1,500, the 4-epoch classifier, and regimes a, d, e in eval/runs). Work in copies:
# every stage below writes into the workspace it is given.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
WS=${1:-/tmp/raysynth-seed/kermany-augmented}
OUT=${2:-/tmp/raysynth-seed/released}
DCGAN_WS=${3:-/tmp/raysynth-seed/kermany-dcgan}
mkdir -p "$OUT"

# 1. Sweep, release size: the first N virus candidates of `synth --per-class 1800 --seed 1`
#    (sample k is the same image whatever N, so these are what `synth --per-class N` writes),
#    checked alone from a folder (virus/), without filtering, default thresholds.
./raysynth --workspace "$WS" synth --classes virus --per-class 1800 --seed 1
cp -r "$WS" "$OUT/pws"
for n in 300 600 1200 1800; do
  mkdir -p "$OUT/c2400-$n/virus"
  awk -F, '$2=="virus" {print $7, $3}' "$WS/synth/index.csv" | sort -n | head -$n |
    while read -r _ f; do cp "$WS/synth/$f" "$OUT/c2400-$n/virus/"; done
  ./raysynth --workspace "$OUT/pws" privacy --candidates "$OUT/c2400-$n" --embedding pixel,classifier --json \
    > "$OUT/sum-a2400-$n.json" || true   # exit 3 when the gate fails
done

# 2. Sweep, steps: a fresh augmented virus generator trained in increments (a rerun resumes from
#    the checkpoint), each stage copied, sampled (1800 films), gated as above (first 600, all
#    1800) and scored (go build -tags openblas -o ganscore ./cmd/ganscore).
cp -r "$WS" "$OUT/vtrain" && rm -rf "$OUT/vtrain/gan/virus"
for s in 600 1200 1800 2400; do
  ./raysynth --workspace "$OUT/vtrain" train gan --recipe augmented --classes virus --steps $s --batch 32 --seed 1
  cp -r "$OUT/vtrain/gan/virus" "$OUT/ckpt-$s"
  # a workspace with only this generator: synth --classes virus --per-class 1800 --seed 1, then
  # the privacy run of step 1 on its first 600 and all 1800 films, then:
  ./ganscore -workspace "$OUT/vtrain" -class virus -checkpoint "$OUT/ckpt-$s/checkpoint.ckpt" -weights last \
    -samples 500 -seed 1 -label fresh-$s
done

# 3. The release: every class 1800, at most 6 per train film (virus 624), the full gate.
cp -r "$WS" "$OUT/rel"
./raysynth --workspace "$OUT/rel" synth --per-class 1800 --max-per-real 6 --seed 1
./raysynth --workspace "$OUT/rel" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > privacy-summary.json

# 4. Regimes b and c on the released (approved) set, one process per repeat; a, d and e are
#    found in eval/runs (keyed by their exact training images, which synthetic data do not touch).
for reg in b c; do for r in 1 2 3; do
  ./raysynth --workspace "$OUT/rel" evaluate --synthetic approved --regimes $reg --repeats 3 --repeat $r --epochs 4 --seed 1 &
done; done; wait
./raysynth --workspace "$OUT/rel" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > report.json

# 5. (b') on the released set (a copy of the workspace): at most 1 synthetic film per real one
cp -r "$OUT/rel" "$OUT/rel-o1"
for r in 1 2 3; do
  ./raysynth --workspace "$OUT/rel-o1" evaluate --synthetic approved --regimes b --repeats 3 --repeat $r --epochs 4 --seed 1 \
    --synthetic-per-real 1 --b-rebalance oversample &
done; wait
./raysynth --workspace "$OUT/rel-o1" evaluate --synthetic approved --regimes a,b,d,e --repeats 3 --epochs 4 --seed 1 \
  --synthetic-per-real 1 --b-rebalance oversample --json > ../released-o1/report.json

# 6. The plain DCGAN through (b): the workspace of ../commands.sh's last lines (kermany-dcgan: its
#    virus generator, the augmented normal and bacteria ones, synth --per-class 1800), resumed.
for r in 1 2 3; do
  ./raysynth --workspace "$DCGAN_WS" evaluate --synthetic candidates --regimes b --repeats 3 --repeat $r --epochs 4 --seed 1 &
done; wait
./raysynth --workspace "$DCGAN_WS" evaluate --synthetic candidates --regimes a,b,d,e --repeats 3 --epochs 4 --seed 1 --json > ../dcgan-plain/report.json
# and (b') with the plain DCGAN's films (a copy of that workspace) -> ../dcgan-o1/
cp -r "$DCGAN_WS" "$DCGAN_WS-o1"
for r in 1 2 3; do
  ./raysynth --workspace "$DCGAN_WS-o1" evaluate --synthetic candidates --regimes b --repeats 3 --repeat $r --epochs 4 --seed 1 \
    --synthetic-per-real 1 --b-rebalance oversample &
done; wait
./raysynth --workspace "$DCGAN_WS-o1" evaluate --synthetic candidates --regimes a,b,d,e --repeats 3 --epochs 4 --seed 1 \
  --synthetic-per-real 1 --b-rebalance oversample --json > ../dcgan-o1/report.json

# 7. Release B (../released-b/): the fresh virus generator after 1,200 steps (step 2's ckpt-1200),
#    1800 films of every class, the full gate, then b and c (and b') as in steps 4 and 5.
cp -r "$WS" "$OUT/relB" && rm -rf "$OUT/relB/gan/virus" && cp -r "$OUT/ckpt-1200" "$OUT/relB/gan/virus"
./raysynth --workspace "$OUT/relB" synth --per-class 1800 --seed 1
./raysynth --workspace "$OUT/relB" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > ../released-b/privacy-summary.json
for reg in b c; do for r in 1 2 3; do
  ./raysynth --workspace "$OUT/relB" evaluate --synthetic approved --regimes $reg --repeats 3 --repeat $r --epochs 4 --seed 1 &
done; done; wait
./raysynth --workspace "$OUT/relB" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > ../released-b/report.json
