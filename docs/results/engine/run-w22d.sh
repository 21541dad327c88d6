#!/bin/bash
# Before/after figures of the oneDNN convolution primitives (issue 22, session 9), side by side in
# one quiet window per round. usage: run-w22d.sh BEFORE AFTER BEFORE_TRAIN_TEST AFTER_TRAIN_TEST OUTDIR ROUND
# BEFORE/AFTER are `go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" ./cmd/raysynth` of
# the two commits, the *_TRAIN_TEST `go test -c` of ./train with the same tags. One round: before
# then after `bench gan --precision auto --batch 32,64` (fp32 and bf16 side by side in each
# process), `bench nn`, and the classifier step benchmark before then after. Run each round under
# /work/wt/quiet (both cores to itself). The load average is logged before every command.
set -u
before=$1 after=$2 tbefore=$3 tafter=$4 out=$5 r=$6
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
log() { echo "# $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) $*" >>"$out/load.txt"; }
order="before after"
[ $((r % 2)) = 0 ] && order="after before" # alternate which binary goes first
for v in $order; do
  bin=$before; [ $v = after ] && bin=$after
  log "round $r $v bench gan"
  "$bin" bench gan --precision auto --batch 32,64 --steps 10 --gen-batches 40 --json >"$out/gan-$v-r$r.json" 2>"$out/gan-$v-r$r.err"
done
log "round $r bench nn"
"$after" bench nn --json >"$out/nn-r$r.json" 2>/dev/null
for v in $order; do
  t=$tbefore; [ $v = after ] && t=$tafter
  log "round $r $v BenchmarkClassifierStep"
  (cd /tmp && "$t" -test.run '^$' -test.bench 'ClassifierStep$' -test.benchtime 8x) >"$out/classifier-$v-r$r.txt" 2>&1
done
log "round $r end"
