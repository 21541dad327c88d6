#!/bin/bash
# Session 9 (Zen 5 machine): the engine before and after, with PyTorch, side by side in one run.
# usage: run-s9.sh BEFORE AFTER BEFORE_TRAIN_TEST AFTER_TRAIN_TEST OUTDIR [ROUNDS]
# BEFORE/AFTER: `make build` binaries of the two commits; *_TRAIN_TEST: `go test -c` of ./train with
# make's tags. Run it through /work/wt/quiet (all CPU slots): the goals are wall-clock figures.
# Each round: bench gan (fp32 and bf16 side by side, batch 32 and 64, with generation) for both
# binaries, bench nn (the ceiling the issue names), PyTorch 1.13 with 2 and 1 threads, and the
# classifier step benchmark for both. OPENBLAS_CORETYPE=SkylakeX for both binaries (the before
# binary does not replace this machine's preset Haswell itself).
set -u
before=$1 after=$2 tbefore=$3 tafter=$4 out=$5 rounds=${6:-3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
log() { echo "# $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) $*" >>"$out/load.txt"; }
for r in $(seq 1 "$rounds"); do
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    log "round $r $v bench gan"
    "$bin" bench gan --precision auto --batch 32,64 --steps 20 --gen-batches 60 --json >"$out/gan-$v-r$r.json" 2>/dev/null
  done
  log "round $r bench nn"
  "$after" bench nn --json >"$out/nn-r$r.json" 2>/dev/null
  for t in 2 1; do
    log "round $r pytorch $t threads"
    /usr/bin/python3 "$here/pytorch_dcgan.py" --threads $t --batch 32,64 --steps 3 --gen-batches 60 >"$out/pytorch-${t}t-r$r.json" 2>/dev/null
  done
  for v in before after; do
    t=$tbefore; [ $v = after ] && t=$tafter
    log "round $r $v BenchmarkClassifierStep"
    (cd /tmp && "$t" -test.run '^$' -test.bench 'ClassifierStep$' -test.benchtime 8x) >"$out/classifier-$v-r$r.txt" 2>&1
  done
done
log end
