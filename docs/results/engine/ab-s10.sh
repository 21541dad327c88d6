#!/bin/bash
# ab.sh OUT rounds bin1 bin2 ... : alternate bench gan (PREC, default bf16) batch 64; prints median and min step
out=$1; n=$2; shift 2
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
for r in $(seq $n); do for b in "$@"; do
  f=$out.$(basename $b).$r.json
  $b bench gan --batch ${BATCH:-64} --steps ${STEPS:-30} --gen-batches 2 --precision ${PREC:-bf16} --json > $f 2>/dev/null
  python3 -c "import json;d=json.load(open('$f'))['runs'][0];s=sorted(d['step_seconds']);print('%-10s r$r median %.4f min %.4f p25 %.4f cpu %.4f'%('$(basename $b)',d['seconds_per_step'],s[0],s[len(s)//4],d['cpu_seconds_per_step']))"
done; done
