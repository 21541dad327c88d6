#!/usr/bin/env bash
# make demo: the whole product end to end on a fresh clone, everything under ./demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=${DEMO:-demo}
mkdir -p "$DEMO"
./raysynth version --verbose
echo "demo: stages are added here as they land; see the README" >&2
