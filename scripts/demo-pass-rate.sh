#!/usr/bin/env bash
# How often does `make demo` pass the privacy gate? Runs scripts/demo.sh N times, each in a fresh
# demo folder (so a fresh workspace: its own random secret, so its own patient split, and freshly
# trained generators), and records per run whether the gate passed, the failing checks, per class
# the share of synthetic images nearer a training film than an unseen one and the collapse check's
# distinct nearest training films, and the wall and CPU time (user+system) of the whole demo.
#
#   scripts/demo-pass-rate.sh N [OUT]      (after make build; OUT defaults to demo-pass-rate)
#
# Environment: RUN_ARGS is passed to the demo (e.g. RUN_ARGS="--gan-steps 600" to screen a
# setting; the demo's own defaults otherwise), GATE_ONLY=1 stops each demo after the privacy
# stage (--until privacy: the gate's result is the same, evaluate, bundle, publish and verify are
# skipped, so wall and CPU time are not the whole demo's), PARALLEL demos at a time (default 1), PHANTOM_COUNT
# as in the demo, FIRST run number (default 1: a later call with FIRST=11 adds runs 11… to the
# same OUT, and the summary covers every run there). The phantom films and the signing key are made once in OUT/shared and reused by
# every run (hard-linked): they are the demo's fixed inputs (phantom seed 1), so this changes
# nothing the gate sees. Results: OUT/results.tsv (one line per run) and OUT/summary.md.
# On a shared machine run it as `setsid nice -n 10 scripts/demo-pass-rate.sh 20 OUT`.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:?usage: scripts/demo-pass-rate.sh N [OUT]}
OUT=${2:-demo-pass-rate}
PARALLEL=${PARALLEL:-1}
FIRST=${FIRST:-1}
RAYSYNTH=${RAYSYNTH:-./raysynth}
[ -x "$RAYSYNTH" ] || { echo "demo-pass-rate: no $RAYSYNTH; run make build first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "demo-pass-rate: /usr/bin/time is needed (Debian package time)" >&2; exit 1; }
command -v jq >/dev/null || { echo "demo-pass-rate: jq is needed" >&2; exit 1; }
# what make sets for the demo (see the Makefile)
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512bw /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# the shared inputs: the demo's own key and phantom commands, run once (a demo run with
# --until ingest makes both; its failure to verify a release it did not make is expected)
if [ ! -e "$OUT/shared/phantoms/labels.csv" ] || [ ! -e "$OUT/shared/keys/demo.key" ]; then
  echo "demo-pass-rate: making the phantoms and the key once in $OUT/shared" >&2
  rm -rf "$OUT/shared"
  DEMO=$OUT/shared RUN_ARGS="--until ingest" RAYSYNTH=$RAYSYNTH scripts/demo.sh >"$OUT/shared.log" 2>&1 || true
  [ -e "$OUT/shared/phantoms/labels.csv" ] && [ -e "$OUT/shared/keys/demo.key" ] ||
    { echo "demo-pass-rate: could not make the phantoms and key; see $OUT/shared.log" >&2; exit 1; }
  rm -rf "$OUT/shared/workspace" "$OUT/shared/releases"
fi

one() {
  local i=$1 d
  d=$OUT/run-$(printf '%02d' "$i")
  rm -rf "$d"
  mkdir -p "$d"
  cp -al "$OUT/shared/phantoms" "$d/phantoms" # hard links: ingest does not follow a linked folder
  cp -a "$OUT/shared/keys" "$d/keys"
  local rc=0
  DEMO=$d RAYSYNTH=$RAYSYNTH RUN_ARGS="${RUN_ARGS:-}${GATE_ONLY:+ --until privacy}" \
    /usr/bin/time -f '%e %U %S' -o "$d/time.txt" scripts/demo.sh >"$d/demo.out" 2>"$d/demo.err" || rc=$?
  echo "$rc" >"$d/rc"
  local wall user sys cpu result failed share distinct
  read -r wall user sys < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+$' "$d/time.txt" | tail -1)
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  local sum=$d/workspace/privacy/summary.json
  if [ -n "${GATE_ONLY:-}" ] && [ "$rc" != 3 ] && [ "$(jq -r .passed "$sum" 2>/dev/null)" = true ]; then
    rc=0 # the run stopped after privacy with the gate passed; the demo's verify had no release
  fi
  case $rc in 0) result=passed ;; 3) result=gate-failed ;; *) result=error-$rc ;; esac
  failed=- share=- distinct=-
  if [ -e "$sum" ]; then
    failed=$(jq -r '[.failed_checks[]] | if length == 0 then "-" else join(",") end' "$sum")
    share=$(jq -r '[.checks[] | select(.name == "share_nearer_train" and .embedding == "pixel" and .class != "")
      | "\(.class)=\(.value * 100 | round / 100)"] | join(" ")' "$sum")
    distinct=$(jq -r '[(.collapse_check // [])[] | "\(.class)=\(.distinct_nearest)/\(.samples)"] | join(" ")' "$sum")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$result" "$failed" "$wall" "$cpu" "$user" "$sys" "$share" "$distinct" >"$d/result.tsv"
  echo "demo-pass-rate: run $i: $result (wall ${wall} s, CPU ${cpu} s) $failed" >&2
}

echo "$FIRST $N ${RUN_ARGS:-}${GATE_ONLY:+ --until privacy}" >>"$OUT/calls.txt"
if [ "$(cut -d' ' -f3- "$OUT/calls.txt" | sort -u | wc -l)" != 1 ]; then
  echo "demo-pass-rate: $OUT holds runs with other RUN_ARGS (see calls.txt); use another OUT" >&2
  exit 1
fi
echo "demo-pass-rate: $N fresh demos (runs $FIRST…), $PARALLEL at a time, RUN_ARGS=${RUN_ARGS:-}${GATE_ONLY:+ (GATE_ONLY: --until privacy)} in $OUT" >&2
running=0
for i in $(seq "$FIRST" $((FIRST + N - 1))); do
  one "$i" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

{
  printf 'run\tresult\tfailed_checks\twall_s\tcpu_s\tuser_s\tsys_s\tshare_nearer_train\tdistinct_nearest\n'
  cat "$OUT"/run-*/result.tsv
} >"$OUT/results.tsv"
awk -F'\t' -v runargs="${RUN_ARGS:-}${GATE_ONLY:+ --until privacy}" -v parallel="$PARALLEL" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
  NR == 1 { next }
  { n++; if ($2 == "passed") p++; else if ($2 == "gate-failed") g++; else e++
    w[n] = $4; c[n] = $5; sw += $4; sc += $5; if ($5 > 0) par += $5 / $4
    rows = rows sprintf("| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $8, $9) }
  function mx(a, k,   m, i) { m = a[1]; for (i = 2; i <= k; i++) if (a[i] > m) m = a[i]; return m }
  function mn(a, k,   m, i) { m = a[1]; for (i = 2; i <= k; i++) if (a[i] < m) m = a[i]; return m }
  END {
    printf "# make demo: privacy gate pass rate\n\n"
    printf "RUN_ARGS: `%s`; %d runs, %d at a time; load average at the end: %s\n\n", runargs, n, parallel, load
    printf "**passed %d of %d**; gate failed %d; other errors %d\n\n", p, n, g, e
    printf "wall time per demo: mean %.0f s (%.0f–%.0f s); CPU time (user+system): mean %.0f s (%.0f–%.0f s); CPU/wall %.2f on average\n\n",
      sw / n, mn(w, n), mx(w, n), sc / n, mn(c, n), mx(c, n), par / n
    printf "| run | result | failed checks | wall s | CPU s | share nearer train (pixel) | distinct nearest (collapse check) |\n|---|---|---|---|---|---|---|\n%s", rows
  }' "$OUT/results.tsv" >"$OUT/summary.md"
cat "$OUT/summary.md"
