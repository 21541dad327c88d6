#!/bin/bash
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
for r in 1 2 3 4; do for t in /tmp/train-s10b.test /tmp/train-ph.test; do
  echo "$(basename $t) r$r $($t -test.run '^$' -test.bench 'Generate64' -test.benchtime 300x 2>&1 | grep Benchmark)"
done; done
