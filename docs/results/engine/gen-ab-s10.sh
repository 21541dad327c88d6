#!/bin/bash
# gen-ab.sh OUT rounds bin...: fp32 generation, 150 batches of 64 and of 32, alternating binaries
out=$1; n=$2; shift 2
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
for r in $(seq $n); do for b in "$@"; do
  f=$out.$(basename $b).$r.json
  $b bench gan --precision ${PREC:-fp32} --batch 32,64 --steps 2 --gen-batches 150 --json > $f 2>/dev/null
  python3 -c "import json;d=json.load(open('$f'))['runs'];print('%-10s r$r'%'$(basename $b)', '  '.join('b%d %d img/s (cpu %.4f s/batch)'%(x['batch'],x['generated_images_per_second'],x['generate_batch_cpu_seconds']) for x in d))"
done; done
