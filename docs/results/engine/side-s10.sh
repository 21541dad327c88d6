#!/bin/bash
# side.sh OUT rounds bin...: bench gan --precision auto (fp32 and bf16 side by side), alternating binaries
out=$1; n=$2; shift 2
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
for r in $(seq $n); do for b in "$@"; do
  f=$out.$(basename $b).$r.json
  $b bench gan --batch ${BATCH:-64} --steps ${STEPS:-30} --gen-batches 4 --precision auto --json > $f 2>/dev/null
  python3 -c "
import json;d=json.load(open('$f'))['runs']
f=[x for x in d if x['precision']=='fp32'][0]; b=[x for x in d if x['precision']=='bf16'][0]
fm=min(f['step_seconds']); bm=min(b['step_seconds'])
print('%-10s r$r fp32 %.4f (min %.4f cpu %.4f)  bf16 %.4f (min %.4f cpu %.4f)  ratio %.3f min-ratio %.3f cpu %.3f'%('$(basename $b)',f['seconds_per_step'],fm,f['cpu_seconds_per_step'],b['seconds_per_step'],bm,b['cpu_seconds_per_step'],b['seconds_per_step']/f['seconds_per_step'],bm/fm,b['cpu_seconds_per_step']/f['cpu_seconds_per_step']))"
done; done
