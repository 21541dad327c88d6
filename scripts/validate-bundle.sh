#!/usr/bin/env bash
# validate-bundle.sh BUNDLE: check a raysynth release with the libraries researchers use, as they
# run them (no raysynth involved):
#
#   bagit-python (Library of Congress)  the bag is valid; with one payload byte changed, it is not
#   mlcroissant (MLCommons, 1.1.0)      croissant.json loads with no error and no warning, its
#                                       @context is the official one, every record set iterates,
#                                       and "images" yields every PNG with its class
#   pydicom                             every DICOM copy reads, marked SyntheticData YES
#   the dataset card (README.md)        every ```python block runs as written in the release folder
#
# It prints a report (commit it, e.g. under docs/results/croissant/) and exits 0 only when every
# check passed. A card snippet whose library is not installed here (Hugging Face datasets needs
# pyarrow, which Debian 12 does not package) is reported as NOT RUN, named in the RESULT line,
# and does not change the exit code.
#
# PyPI is not needed. mlcroissant, etils and bagit-python run from their public source, kept
# outside the clone in $RAYSYNTH_PY_SRC (default ~/.cache/raysynth/py-src):
#
#   croissant-v1.1.0/python/mlcroissant   github.com/mlcommons/croissant, tag v1.1.0
#   etils-v1.14.0                         github.com/google/etils, tag v1.14.0
#   bagit-python-v1.9.0                   github.com/LibraryOfCongress/bagit-python, tag v1.9.0
#
# Missing ones are cloned from GitHub when it is reachable; otherwise put them there yourself,
# e.g. from a clone: git -C croissant archive v1.1.0 python/mlcroissant | tar -x -C DIR/croissant-v1.1.0
# Their other dependencies come from Debian (Python 3.11):
#   apt-get install python3-absl python3-jinja2 python3-jsonpath-rw python3-networkx python3-pandas \
#     python3-rdflib python3-scipy python3-tqdm python3-pil python3-pydicom python3-fsspec python3-zipp \
#     python3-typing-extensions python3-requests python3-dateutil   (python3-torchvision for the card's ImageFolder)
# Debian's packages belong to /usr/bin/python3, not to a pyenv or venv python3 earlier on PATH:
# the script takes $PYTHON if set, else the first of /usr/bin/python3 and python3 that has them.
set -euo pipefail

usage() { echo "usage: $0 BUNDLE   (a release folder made by raysynth bundle, or fetched with raysynth fetch)" >&2; exit 2; }
[ $# -eq 1 ] || usage
BUNDLE=$1
[ -d "$BUNDLE" ] && [ -e "$BUNDLE/croissant.json" ] || { echo "validate-bundle: $BUNDLE is not a release folder (no croissant.json)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${RAYSYNTH_PY_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/raysynth/py-src}

CROISSANT_TAG=v1.1.0 ETILS_TAG=v1.14.0 BAGIT_TAG=v1.9.0
MLC_DIR=$SRC/croissant-$CROISSANT_TAG/python/mlcroissant
ETILS_DIR=$SRC/etils-$ETILS_TAG
BAGIT_DIR=$SRC/bagit-python-$BAGIT_TAG

# get REPO TAG DIR [SPARSE-PATH]: a shallow clone of one tag (only SPARSE-PATH checked out).
get() {
  local repo=$1 tag=$2 dir=$3 sparse=${4:-}
  command -v git >/dev/null || return 1
  echo "validate-bundle: fetching github.com/$repo $tag into $dir" >&2
  rm -rf "$dir.tmp" && mkdir -p "$(dirname "$dir")"
  if [ -n "$sparse" ]; then
    git clone -q --depth 1 --branch "$tag" --filter=blob:none --no-checkout "https://github.com/$repo" "$dir.tmp" &&
      git -C "$dir.tmp" sparse-checkout set "$sparse" && git -C "$dir.tmp" checkout -q "$tag"
  else
    git clone -q --depth 1 --branch "$tag" "https://github.com/$repo" "$dir.tmp"
  fi || { rm -rf "$dir.tmp"; return 1; }
  mv "$dir.tmp" "$dir"
}
missing=()
[ -d "$MLC_DIR/mlcroissant" ] || get mlcommons/croissant "$CROISSANT_TAG" "$SRC/croissant-$CROISSANT_TAG" python/mlcroissant ||
  missing+=("mlcroissant: $MLC_DIR (github.com/mlcommons/croissant, tag $CROISSANT_TAG, folder python/mlcroissant)")
[ -d "$ETILS_DIR/etils" ] || get google/etils "$ETILS_TAG" "$ETILS_DIR" ||
  missing+=("etils: $ETILS_DIR (github.com/google/etils, tag $ETILS_TAG)")
[ -e "$BAGIT_DIR/bagit.py" ] || get LibraryOfCongress/bagit-python "$BAGIT_TAG" "$BAGIT_DIR" ||
  missing+=("bagit-python: $BAGIT_DIR (github.com/LibraryOfCongress/bagit-python, tag $BAGIT_TAG)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "validate-bundle: these libraries' sources are missing and could not be fetched (is GitHub reachable?):" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "put each there (a checkout or a git archive of that tag), or set RAYSYNTH_PY_SRC to a folder that has them" >&2
  exit 3
fi
# bagit.py reads its own version from installed package metadata: give it what pip would write.
SITE=$SRC/site
if [ ! -e "$SITE/bagit-${BAGIT_TAG#v}.dist-info/METADATA" ]; then
  mkdir -p "$SITE/bagit-${BAGIT_TAG#v}.dist-info"
  printf 'Metadata-Version: 2.1\nName: bagit\nVersion: %s\n' "${BAGIT_TAG#v}" > "$SITE/bagit-${BAGIT_TAG#v}.dist-info/METADATA"
fi
export PYTHONPATH=$SITE:$MLC_DIR:$ETILS_DIR:$BAGIT_DIR${PYTHONPATH:+:$PYTHONPATH}

# The interpreter: the first that imports every dependency.
NEEDED="absl jinja2 jsonpath_rw networkx pandas rdflib scipy tqdm PIL pydicom fsspec zipp typing_extensions requests dateutil"
probe() { "$1" -c "
import importlib.util, sys
miss = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]
print(' '.join(miss)); sys.exit(1 if miss else 0)" $NEEDED 2>/dev/null; }
PY=
report=()
for cand in ${PYTHON:-} /usr/bin/python3 python3; do
  command -v "$cand" >/dev/null 2>&1 || continue
  if out=$(probe "$cand"); then PY=$(command -v "$cand"); break; fi
  report+=("$cand ($("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null || echo '?')) lacks: ${out:-python itself does not run}")
done
if [ -z "$PY" ]; then
  echo "validate-bundle: no Python interpreter has mlcroissant's and bagit's dependencies:" >&2
  printf '  %s\n' "${report[@]}" >&2
  echo "install them: apt-get install python3-absl python3-jinja2 python3-jsonpath-rw python3-networkx python3-pandas python3-rdflib python3-scipy python3-tqdm python3-pil python3-pydicom python3-fsspec python3-zipp python3-typing-extensions python3-requests python3-dateutil" >&2
  echo "(or set PYTHON to an interpreter that has them)" >&2
  exit 3
fi
export VALIDATE_SOURCES="mlcroissant $CROISSANT_TAG ($MLC_DIR); etils $ETILS_TAG; bagit-python $BAGIT_TAG"
exec "$PY" "$HERE/validate_bundle.py" "$BUNDLE"
