"""Checks a raysynth release with bagit-python, mlcroissant, pydicom and the card's own snippets.

Run through scripts/validate-bundle.sh, which finds the libraries' sources and an interpreter
that has their dependencies. Prints a report on stdout; exits 1 when any check failed.
"""

import collections
import glob
import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

failures = []
not_run = []


def out(line=""):
    print(line, flush=True)


def check(ok, what):
    out(("  PASS  " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Capture(logging.Handler):
    """Collects the warnings and errors libraries log (absl and the standard logging)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def bagit_checks(bundle, payload):
    import bagit

    out(f"## bagit-python {bagit.VERSION} (Library of Congress)")
    bag = bagit.Bag(bundle)
    try:
        bag.validate(fast=False)
        check(True, f"valid bag: BagIt {bag.version}, {len(bag.payload_entries())} payload files, "
              f"Payload-Oxum {bag.info.get('Payload-Oxum')}, every sha256 in both manifests matches")
    except bagit.BagError as e:
        check(False, f"bag is not valid: {e}")
    victim = next((p for p in payload if p.endswith(".png")), None)
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "bundle")
        shutil.copytree(bundle, copy)
        p = os.path.join(copy, victim)
        data = bytearray(open(p, "rb").read())
        data[len(data) // 2] ^= 0x01
        open(p, "wb").write(bytes(data))
        try:
            bagit.Bag(copy).validate(fast=False)
            check(False, f"one byte of {victim} changed: the bag still validates")
        except bagit.BagValidationError as e:
            detail = "; ".join(str(d) for d in e.details) or str(e)
            check(True, f"one byte of {victim} changed (same size): invalid: {detail}")
    out()


def mlcroissant_checks(bundle, index):
    import mlcroissant as mlc
    from absl import logging as absl_logging
    from mlcroissant._src.core.context import Context, CroissantVersion
    from mlcroissant._src.core.rdf import make_context

    version = "?"
    try:
        import tomllib
        pyproject = os.path.join(os.path.dirname(os.path.dirname(mlc.__file__)), "pyproject.toml")
        version = tomllib.load(open(pyproject, "rb"))["project"]["version"]
    except Exception:
        pass
    out(f"## mlcroissant {version} (MLCommons reference Croissant reader)")
    cap = Capture()
    absl_logging.get_absl_logger().addHandler(cap)
    logging.getLogger().addHandler(cap)
    path = os.path.join(bundle, "croissant.json")
    doc = json.load(open(path))
    ctx = Context()
    ctx.conforms_to = CroissantVersion.V_1_1
    official = make_context(ctx)
    check(doc.get("@context") == official,
          "@context is exactly the one mlcroissant writes for Croissant 1.1 (rdf.make_context)")
    try:
        ds = mlc.Dataset(jsonld=path)
    except Exception as e:  # a metadata error raises
        check(False, f"mlc.Dataset(jsonld=croissant.json) raised {type(e).__name__}: {e}")
        out()
        return
    issues = ds.metadata.ctx.issues
    check(not issues.errors, f"metadata errors: {len(issues.errors)} {sorted(issues.errors) or ''}".rstrip())
    check(not issues.warnings, f"metadata warnings: {len(issues.warnings)} {sorted(issues.warnings) or ''}".rstrip())
    check(not cap.messages, f"warnings logged while loading the metadata: {len(cap.messages)} {cap.messages or ''}".rstrip())
    pngs = sorted(glob.glob(os.path.join(bundle, "data", "images", "*", "*.png")))
    dcms = sorted(glob.glob(os.path.join(bundle, "data", "images", "*", "*.dcm")))
    by_id = {r["id"]: r for r in index}
    for rs in ds.metadata.record_sets:
        cap.messages.clear()
        t0 = time.monotonic()
        try:
            records = list(ds.records(rs.uuid))
        except Exception as e:
            check(False, f"record set {rs.uuid}: iterating raised {type(e).__name__}: {str(e)[:500]}")
            continue
        secs = time.monotonic() - t0
        fields = [f.uuid for f in rs.fields]
        out(f"  record set {rs.uuid}: {len(records)} records in {secs:.1f} s; fields {', '.join(fields)}")
        check(not cap.messages, f"record set {rs.uuid}: warnings logged while iterating: {len(cap.messages)} {cap.messages[:3] or ''}".rstrip())
        if records:
            missing = [f for f in fields if any(f not in r for r in records)]
            check(not missing, f"record set {rs.uuid}: every record has every field{' (missing: ' + ', '.join(missing) + ')' if missing else ''}")
        if rs.uuid == "classes":
            values = sorted(r["classes/name"].decode() if isinstance(r["classes/name"], bytes) else r["classes/name"] for r in records)
            classes_in_index = sorted({r["class"] for r in index})
            check(values == classes_in_index, f"classes enumeration {values} equals the classes of data/index.csv")
        if rs.uuid == "images":
            images_checks(bundle, records, pngs, by_id)
        if rs.uuid == "dicom":
            check(len(records) == len(dcms), f"dicom: {len(records)} records, {len(dcms)} .dcm files in data/images/")
            shapes = collections.Counter(__import__("numpy").asarray(r["dicom/pixels"]).shape for r in records)
            ids = {dec(r["dicom/id"]) for r in records}
            check(ids == {r["id"] for r in index if r["dicom"]}, "dicom: the records' ids are the index rows that have a DICOM copy")
            out(f"  dicom pixel array shapes: {dict(shapes)}")
    absl_logging.get_absl_logger().removeHandler(cap)
    logging.getLogger().removeHandler(cap)
    out()


def dec(v):
    return v.decode() if isinstance(v, bytes) else v


def images_checks(bundle, records, pngs, by_id):
    from PIL import Image

    check(len(records) == len(pngs), f"images: {len(records)} records, {len(pngs)} PNG files in data/images/")
    per_class = collections.Counter(dec(r["images/class"]) for r in records)
    check(len(per_class) >= 2, f"images: classes {dict(sorted(per_class.items()))} (at least two)")
    ids = [dec(r["images/id"]) for r in records]
    check(sorted(ids) == sorted(by_id), "images: the records' ids are exactly the ids of data/index.csv, each once")
    bad = []
    for r in records:
        rid = dec(r["images/id"])
        row = by_id.get(rid)
        if row is None:
            bad.append(f"{rid}: no index row")
            continue
        path = os.path.join(bundle, "data", dec(r["images/file"]))
        img = r["images/image"]
        want = Image.open(path)
        same = (img.size == want.size and list(img.convert("L").getdata()) == list(want.convert("L").getdata()))
        fields_ok = (dec(r["images/class"]) == row["class"] and dec(r["images/sha256"]) == row["sha256"] == sha256(path)
                     and str(r["images/seed"]) == row["seed"] and str(r["images/sample"]) == row["sample"]
                     and dec(r["images/generator"]) == row["generator"] and str(r["images/size"]) == row["size"]
                     and os.path.basename(os.path.dirname(path)) == row["class"])
        if not same:
            bad.append(f"{rid}: image differs from {path}")
        if not fields_ok:
            bad.append(f"{rid}: fields differ from its index row or file")
    check(not bad, "images: every record's image has the pixels of its PNG, and its class, sha256, size, generator, seed "
          f"and sample are its index row's (and the file's){' — ' + '; '.join(bad[:5]) if bad else ''}")
    first = records[0]
    out(f"  first record: id {dec(first['images/id'])}, class {dec(first['images/class'])}, image {first['images/image'].mode} "
        f"{first['images/image'].size[0]}x{first['images/image'].size[1]}, seed {first['images/seed']}, sample {first['images/sample']}")


def pydicom_checks(bundle):
    dcms = sorted(glob.glob(os.path.join(bundle, "data", "images", "*", "*.dcm")))
    import pydicom

    out(f"## pydicom {pydicom.__version__}")
    if not dcms:
        out("  (no DICOM copies in this release)")
        out()
        return
    bad = []
    shapes = collections.Counter()
    for p in dcms:
        try:
            d = pydicom.dcmread(p)
            shapes[d.pixel_array.shape] += 1
            syn = d.get((0x0008, 0x001C))  # SyntheticData (pydicom 2.3 lacks the keyword)
            if syn is None or syn.value != "YES":
                bad.append(f"{p}: SyntheticData {syn.value if syn is not None else None!r}")
        except Exception as e:
            bad.append(f"{p}: {type(e).__name__}: {e}")
    check(not bad, f"{len(dcms)} DICOM files read, pixel arrays {dict(shapes)}, all SyntheticData YES{' — ' + '; '.join(bad[:5]) if bad else ''}")
    out()


def card_snippets(bundle):
    out("## The card's snippets (README.md, every ```python block, run as written in the release folder)")
    card = open(os.path.join(bundle, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"^```python\n(.*?)^```", card, flags=re.S | re.M)
    check(len(blocks) >= 3, f"{len(blocks)} python snippets in the card")
    for i, code in enumerate(blocks, 1):
        first_import = next((l for l in code.splitlines() if l.startswith(("import ", "from "))), "")
        out(f"  snippet {i}: {first_import}")
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, "-c", code], cwd=bundle, capture_output=True, text=True, timeout=1800)
        secs = time.monotonic() - t0
        err = p.stderr.strip().splitlines()
        missing = re.search(r"ModuleNotFoundError: No module named '([^']+)'", p.stderr)
        for line in p.stdout.strip().splitlines():
            out(f"        > {line}")
        if p.returncode == 0:
            check(True, f"snippet {i} ran ({secs:.1f} s)")
        elif missing:
            what = f"snippet {i} ({first_import}): Python module {missing.group(1)!r} is not installed here"
            out(f"  NOT RUN  {what}")
            not_run.append(what)
        else:
            check(False, f"snippet {i} failed (exit {p.returncode}): {' | '.join(err[-3:])}")
    out()


def main():
    bundle = os.path.abspath(sys.argv[1])
    out(f"# validate-bundle {sys.argv[1]}")
    out()
    out(f"- python: {sys.executable} {platform.python_version()}")
    out(f"- sources: {os.environ.get('VALIDATE_SOURCES', '(run through scripts/validate-bundle.sh)')}")
    import pandas
    import PIL
    out(f"- from the system: pandas {pandas.__version__}, Pillow {PIL.__version__}")
    out()
    index = list(__import__("csv").DictReader(open(os.path.join(bundle, "data", "index.csv"), newline="")))
    payload = [l.split("  ", 1)[1].strip() for l in open(os.path.join(bundle, "manifest-sha256.txt")) if "  " in l]
    bagit_checks(bundle, payload)
    mlcroissant_checks(bundle, index)
    pydicom_checks(bundle)
    card_snippets(bundle)
    if failures:
        out(f"RESULT: FAIL ({len(failures)} check(s) failed)")
        for f in failures:
            out(f"  - {f}")
        sys.exit(1)
    if not_run:
        out(f"RESULT: PASS, but {len(not_run)} card snippet(s) NOT RUN (their library is missing here, so they are untested):")
        for n in not_run:
            out(f"  - {n}")
        return
    out("RESULT: PASS (every check passed, every card snippet ran)")


if __name__ == "__main__":
    main()
