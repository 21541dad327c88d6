#!/bin/bash
# Before/after figures of session 4 (issue 22: the generator step reusing the fake batch's forward
# pass, Adam in C) with the PyTorch reference, side by side in one run.
# usage: run-w22.sh BEFORE AFTER BEFORE_TRAIN_TEST AFTER_TRAIN_TEST OUTDIR ROUNDS
# BEFORE/AFTER are `go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" ./cmd/raysynth` of
# the two commits, the *_TRAIN_TEST `go test -c` of ./train with the same tags. Each round runs:
# bench gan before then after (batch 32 and 64, fp32 and bf16 side by side in each process),
# pytorch_dcgan.py (same DCGAN, one thread: its CPU time is then not inflated by OpenMP threads
# spinning at barriers on a loaded machine), and the classifier step benchmark before and after.
# The load average is logged before every command.
set -u
here=$(cd "$(dirname "$0")" && pwd)
before=$1 after=$2 tbefore=$3 tafter=$4 out=$5 rounds=${6:-2}
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
log() { echo "# $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) $*" >>"$out/load.txt"; }
for r in $(seq 1 "$rounds"); do
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    log "round $r $v bench gan"
    nice -n 10 "$bin" bench gan --batch 32,64 --steps 5 --gen-batches 5 --json >"$out/gan-$v-r$r.json" 2>/dev/null
  done
  log "round $r pytorch 1 thread"
  OMP_NUM_THREADS=1 nice -n 10 /usr/bin/python3 "$here/pytorch_dcgan.py" --threads 1 --batch 32,64 --steps 3 --gen-batches 5 >"$out/torch1-r$r.json"
  for v in before after; do
    t=$tbefore; [ $v = after ] && t=$tafter
    log "round $r $v BenchmarkClassifierStep"
    (cd /tmp && nice -n 10 "$t" -test.run '^$' -test.bench 'ClassifierStep$' -test.benchtime 8x) >"$out/classifier-$v-r$r.txt" 2>&1
  done
done
log end
