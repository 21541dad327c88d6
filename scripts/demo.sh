#!/usr/bin/env bash
# make demo: the whole product end to end on a fresh clone, everything under ./demo/.
#
#   make demo                       phantom X-rays → signed release in demo/releases, verified
#   make demo DATA=DIR [LABELS=CSV] [RUN_ARGS="--ingest-label-column subtype …"]
#                                   the same on real images (e.g. ../shared/data/kermany_128)
#   make demo-s3                    the same, published to a local MinIO server started for it
#
# Running it again resumes: finished stages are skipped (raysynth run keeps their input hashes in
# the workspace), and a finished demo only verifies its release again. `rm -rf demo` (or
# `make clean`) starts over.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=${DEMO:-demo}
RAYSYNTH=${RAYSYNTH:-./raysynth}
NAME=chest-demo
VERSION=1.0.0
# A stated demo password: this key signs demo releases only. Never use it for real data.
export RAYSYNTH_PASSWORD=demo-password-not-secret
unset COSIGN_PASSWORD

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
start=$(date +%s)
mkdir -p "$DEMO"

say "raysynth $("$RAYSYNTH" --version | cut -d' ' -f2-)"
"$RAYSYNTH" version --verbose >&2 || true

# 1. A signing key (ECDSA P-256, cosign format), made once.
say "signing key: $DEMO/keys/demo.key, password RAYSYNTH_PASSWORD=$RAYSYNTH_PASSWORD (demo only)"
if [ ! -e "$DEMO/keys/demo.key" ]; then
  mkdir -p "$DEMO/keys"
  "$RAYSYNTH" keygen --out "$DEMO/keys/demo"
else
  echo "already there" >&2
fi

# 2. The data: phantoms unless DATA is given.
if [ -n "${DATA:-}" ]; then
  FROM=$DATA
  LABELS=${LABELS:-}
  DATA_ID=$(printf '%s' "$(cd "$DATA" 2>/dev/null && pwd || echo "$DATA")" | sha256sum | cut -c1-8)
  WS=$DEMO/workspace-$DATA_ID
  # a release of its own: chest-demo 1.0.0 may already hold the phantom release, and versions
  # are immutable
  NAME=$NAME-$DATA_ID
  say "data: $FROM ${LABELS:+(labels $LABELS)}"
  # the same small settings as the phantoms; classes with fewer than --gan-min-images (20) train
  # images get no generator
  DEFAULTS=(--ingest-size 32 --gan-size 32 --gan-epochs 30 --gan-batch 16 --gan-recipe dcgan --synth-per-class 40)
else
  FROM=$DEMO/phantoms
  LABELS=$FROM/labels.csv
  WS=$DEMO/workspace
  COUNT=${PHANTOM_COUNT:-3000}
  say "data: $COUNT phantom films at 32×32, $((COUNT / 3)) per class (for demos and tests only, not for research) in $FROM"
  if [ ! -e "$FROM/labels.csv" ]; then
    # many phantom patients with one film each, three classes equally common: each class's holdout
    # of unseen patients is then large enough for the privacy checks to say something. 32×32 keeps
    # the GANs within the demo's minutes: at 64×64 a few minutes of training make only noise.
    "$RAYSYNTH" phantom --out "$FROM" --count "$COUNT" --size 32 --films-per-patient 1 --seed 1 \
      --mix normal=1,cardiomegaly=1,effusion=1
  else
    echo "already there" >&2
  fi
  # Half of each class's phantom patients are held out (--ingest-holdout 0.5): the privacy gate
  # compares the synthetic films with equal-size subsets of training and holdout films (half the
  # holdout), and with 150 films a side its share of images nearer a training film swung from draw
  # to draw by more than its bound allows; with 250 a side it swings less. 500 train films per
  # class and 8 epochs (about 250 steps of 16) of the augmented recipe make recognisable phantoms
  # spread over many training films, and the generators sample the moving average of their
  # weights. Measured: docs/results/demo-pass-rate/ (the plain DCGAN with 30% held out passed 18
  # of 24 fresh runs).
  DEFAULTS=(--ingest-size 32 --ingest-holdout 0.5 --gan-size 32 --gan-epochs 8 --gan-batch 16
    --gan-recipe augmented --gan-sample-ema --synth-per-class 100)
fi

# 3. Where the release goes.
if [ -n "${DEMO_S3:-}" ]; then
  BIN=${RAYSYNTH_MINIO_BIN:-}
  if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    echo "demo-s3: no MinIO server binary (RAYSYNTH_MINIO_BIN=$BIN); run it as make demo-s3, which builds it" >&2
    exit 1
  fi
  command -v curl >/dev/null || { echo "demo-s3: curl is needed to create the bucket" >&2; exit 1; }
  MINIO=$DEMO/minio
  mkdir -p "$MINIO/data"
  # Random root credentials, made once and kept (mode 0600) so that a re-run reaches the same data.
  if [ ! -e "$MINIO/credentials" ]; then
    (umask 077; printf 'AWS_ACCESS_KEY_ID=demo%s\nAWS_SECRET_ACCESS_KEY=%s\n' \
      "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$MINIO/credentials")
  fi
  set -a; . "$MINIO/credentials"; set +a
  port=
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "demo-s3: no free port found" >&2; exit 1; }
  export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_REGION=us-east-1
  say "MinIO on 127.0.0.1:$port (loopback only, data in $MINIO/data, log $MINIO/minio.log)"
  MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
    HOME=$MINIO "$BIN" server --quiet --address "127.0.0.1:$port" "$MINIO/data" >>"$MINIO/minio.log" 2>&1 &
  minio_pid=$!
  trap 'kill $minio_pid 2>/dev/null; wait $minio_pid 2>/dev/null || true' EXIT
  for i in $(seq 300); do
    curl -fsS -o /dev/null "$AWS_ENDPOINT_URL_S3/minio/health/ready" 2>/dev/null && break
    kill -0 $minio_pid 2>/dev/null || { echo "demo-s3: MinIO stopped; see $MINIO/minio.log" >&2; exit 1; }
    sleep 0.2
  done
  # the bucket (ignore "already owned by you" on a re-run)
  curl -sS -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -X PUT "$AWS_ENDPOINT_URL_S3/demo-releases"
  TO=s3://demo-releases/raysynth
else
  TO=$DEMO/releases
fi

# 4. One command: ingest → train gan → synth → train classifier → privacy → evaluate → bundle →
#    publish → verify.
say "raysynth run: every stage, small settings (the summary follows the stages' own output)"
set +e
"$RAYSYNTH" run --workspace "$WS" --from "$FROM" ${LABELS:+--labels "$LABELS"} \
  --name "$NAME" --version "$VERSION" --key "$DEMO/keys/demo.key" --to "$TO" \
  --bundle-organization "raysynth demo" \
  --classifier-epochs 4 --evaluate-repeats 1 --evaluate-epochs 4 --evaluate-resamples 500 \
  "${DEFAULTS[@]}" ${RUN_ARGS:-} | tee "$DEMO/run-summary.txt"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))
if [ "$rc" = 3 ]; then
  say "the privacy gate stopped the release (exit code 3): that is the product doing its job"
  cat >&2 <<EOF
Nothing was published. Look at why, with pictures:
  $WS/privacy/report.html   (PRIVATE: real images beside the synthetic ones nearest to them)
  $WS/gan/*/samples/         (what the generators learnt)
The thresholds are never loosened to make a run pass. A steward would now change what the
generators learn, e.g. fewer epochs or more patients, and run again; stages whose inputs did
not change are skipped:  make demo RUN_ARGS="--gan-epochs 15"
EOF
  exit 3
elif [ "$rc" != 0 ]; then
  echo "demo: raysynth run failed (exit code $rc); run make demo again to resume" >&2
  exit "$rc"
fi

REL=$TO/$NAME/$VERSION
PUB=$DEMO/keys/demo.pub

# 5. What a researcher and an auditor do.
say "researcher: raysynth verify $REL --key $PUB"
"$RAYSYNTH" verify "$REL" --key "$PUB"
say "auditor: raysynth audit $TO --key $PUB"
"$RAYSYNTH" audit "$TO" --key "$PUB" || true

grid() { ls "${1%/}"/samples/epoch-*.png 2>/dev/null | tail -1; }
say "where to look (demo took ${elapsed} s)"
cat <<EOF
  sample grids (last epoch):  $(for d in "$WS"/gan/*/; do g=$(grid "$d"); [ -n "$g" ] && printf '%s ' "$g"; done)
  loss curves:                $WS/gan/*/loss.png
  privacy report (PRIVATE):   $WS/privacy/report.html
  privacy summary (public):   $WS/privacy/summary.json
  evaluation table:           $WS/eval/report.md   (chart: $WS/eval/sensitivity.png)
  bundle (before publishing): $WS/run/bundle/$NAME-$VERSION   (dataset card: README.md, croissant.json, provenance.json)
  published release:          $REL
  run summary:                $DEMO/run-summary.txt
  verify with standard tools: see the cosign and sha256sum commands printed by raysynth verify above
EOF
