#!/bin/bash
# Before/after figures of the fp32 engine work (issue 22), side by side in one run.
# usage: docs/results/engine/run.sh BEFORE_BINARY AFTER_BINARY BEFORE_TRAIN_TEST AFTER_TRAIN_TEST OUTDIR
# The binaries are `go build -tags openblas ./cmd/raysynth` of the two commits; the test binaries
# `go test -tags openblas -c ./train` of the same commits. Rounds alternate before and after so
# both see the same load; the load average is recorded before every command.
set -u
before=$1 after=$2 tbefore=$3 tafter=$4 out=$5
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
log() { echo "# $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) $*" >>"$out/load.txt"; }
for r in 1 2 3; do
  for v in before after; do
    bin=$before; [ $v = after ] && bin=$after
    for b in 32 64; do
      log "round $r $v bench gan --batch $b"
      nice -n 10 "$bin" bench gan --batch $b --steps 6 --gen-batches 3 --json >"$out/gan-$v-b$b-r$r.json" 2>/dev/null
    done
  done
  log "round $r bench nn"
  nice -n 10 "$after" bench nn --queries 2000 --refs 20000 --json >"$out/nn-r$r.json" 2>/dev/null
  for v in before after; do
    t=$tbefore; [ $v = after ] && t=$tafter
    log "round $r $v BenchmarkClassifierStep"
    (cd /tmp && nice -n 10 "$t" -test.run '^$' -test.bench 'ClassifierStep$' -test.benchtime 10x) >"$out/classifier-$v-r$r.txt" 2>&1
  done
done
log end
