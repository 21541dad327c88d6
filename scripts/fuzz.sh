#!/usr/bin/env bash
# make fuzz: every `func Fuzz…` of every package, one after the other (go test fuzzes one target
# at a time), FUZZTIME each. A crasher is written by go test to the package's
# testdata/fuzz/TARGET/ and stays there as a regression seed that plain `go test` runs.
#
#   TAGS=…  FUZZTIME=60s  FUZZMINIMIZE=5s  FUZZFLAGS=-parallel=1  scripts/fuzz.sh [PATTERN]
#
# PATTERN (a grep -E pattern) picks targets by name. Every target runs even after one fails; the
# end prints one line per target (executions, new corpus entries, result) and exits 1 if any
# target wrote a crasher or failed for another reason.
#
# Two behaviours of Go 1.26's fuzzer are handled here, not hidden:
#  - go test minimizes each new interesting input for up to 60 s by default and counts no
#    executions meanwhile (golang/go#51484): six of our targets spent their whole minute
#    minimizing one input at "0 execs/sec". FUZZMINIMIZE bounds that (crashers are still
#    minimized).
#  - at the end of -fuzztime the coordinator can report its own deadline as a failure,
#    "context deadline exceeded", with no failing input (golang/go#75804, fixed in Go 1.27; seen
#    here under heavy load). Such a run fuzzed its whole FUZZTIME; it is reported as
#    "deadline-race" and does not fail the run. Any failure that writes a crasher, or prints
#    anything else, does.
set -uo pipefail
cd "$(dirname "$0")/.."
TAGS=${TAGS:-}
FUZZTIME=${FUZZTIME:-60s}
FUZZMINIMIZE=${FUZZMINIMIZE:-5s}
FUZZFLAGS=${FUZZFLAGS:-}
PATTERN=${1:-.}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
n=0 bad=0
summary=()
for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
  for t in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort -u); do
    grep -qE "$PATTERN" <<<"$t" || continue
    n=$((n + 1))
    corpus=$dir/testdata/fuzz/$t
    before=$(ls "$corpus" 2>/dev/null)
    echo "fuzz: $dir $t for $FUZZTIME" >&2
    out=$log/$n.txt
    # shellcheck disable=SC2086 # FUZZFLAGS is a list of flags
    go test -tags "$TAGS" -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" \
      -fuzzminimizetime "$FUZZMINIMIZE" $FUZZFLAGS "$dir" 2>&1 | tee "$out" >&2
    rc=${PIPESTATUS[0]}
    stats=$(grep -o 'execs: [0-9]*.*new interesting: [0-9]*' "$out" | tail -1 |
      sed -E 's/execs: ([0-9]+).*new interesting: ([0-9]+)/\1 execs, \2 new/')
    result=ok
    if [ "$rc" -ne 0 ]; then
      if [ "$before" != "$(ls "$corpus" 2>/dev/null)" ]; then
        result="CRASHER written to $corpus"
        bad=$((bad + 1))
      elif grep -q '^    context deadline exceeded$' "$out" && ! grep -q 'Failing input' "$out"; then
        result="deadline-race (golang/go#75804; no failing input)"
      else
        result="FAILED (see the output above)"
        bad=$((bad + 1))
      fi
    fi
    summary+=("$(printf '%-22s %-30s %-26s %s' "$dir" "$t" "${stats:-no executions}" "$result")")
  done
done
echo >&2
printf '%s\n' "${summary[@]}" >&2
if [ "$bad" -gt 0 ]; then
  echo "fuzz: $bad of $n targets failed" >&2
  exit 1
fi
echo "fuzz: $n targets for $FUZZTIME each found nothing" >&2
