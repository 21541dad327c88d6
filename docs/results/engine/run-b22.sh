#!/bin/bash
# Before/after figures of the vectorised kernels and the once-rounded bf16 weights (issue 22),
# side by side in one run. usage: run-b22.sh BEFORE AFTER BEFORE_TRAIN_TEST AFTER_TRAIN_TEST OUTDIR ROUNDS
# BEFORE/AFTER are `go build -tags "openblas dnnl openjpeg charls gdcmjpeg" ./cmd/raysynth` of the two
# commits, the *_TRAIN_TEST `go test -c` of ./train with the same tags. Each round runs before then
# after: bench gan at batch 32 and 64 (fp32 and bf16 side by side in each process), bench nn, and
# the classifier step benchmark. The load average is logged before every command.
set -u
before=$1 after=$2 tbefore=$3 tafter=$4 out=$5 rounds=${6:-2}
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
log() { echo "# $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) $*" >>"$out/load.txt"; }
for r in $(seq 1 "$rounds"); do
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    log "round $r $v bench gan"
    nice -n 10 "$bin" bench gan --batch 32,64 --steps 5 --gen-batches 3 --json >"$out/gan-$v-r$r.json" 2>/dev/null
  done
  log "round $r bench nn"
  nice -n 10 "$after" bench nn --json >"$out/nn-r$r.json" 2>/dev/null
  for v in before after; do
    t=$tbefore; [ $v = after ] && t=$tafter
    log "round $r $v BenchmarkClassifierStep"
    (cd /tmp && nice -n 10 "$t" -test.run '^$' -test.bench 'ClassifierStep$' -test.benchtime 8x) >"$out/classifier-$v-r$r.txt" 2>&1
  done
done
log end
