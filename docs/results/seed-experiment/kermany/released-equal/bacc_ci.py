#!/usr/bin/env python3
"""Paired bootstrap of balanced accuracy differences between regimes from evaluate's run records.
usage: bacc_ci.py WORKSPACE B_RUNS_DIR NAME=RUNS_DIR:REGIME ...
Truth: the workspace's holdout films in real/index.csv order (checked against the report's
confusion matrix of regime (a)). Each resample draws holdout images with replacement; every
repeat's prediction of an image stays with it; the statistic is the mean over repeats of the
balanced accuracy; 2000 resamples, seed 1; 95% percentile interval."""
import csv, json, random, sys
ws = sys.argv[1]
classes = json.load(open(f"{ws}/workspace.json")).get("classes")
rows = [r for r in csv.DictReader(open(f"{ws}/real/index.csv")) if r["split"] == "holdout"]
truth = [classes.index(r["class"]) for r in rows]
k = len(classes)

def preds(runs, reg):
    out = []
    for i in range(3):
        rec = json.load(open(f"{runs}/{reg}-r{i}.json"))
        p = rec["holdout"]["probs"]
        assert len(p) == len(truth)
        out.append([max(range(k), key=lambda c: v[c]) for v in p])
    return out

def bacc(mult, pr):
    """mean over repeats of balanced accuracy, image i counted mult[i] times"""
    n = [0] * k
    for i, m in enumerate(mult):
        n[truth[i]] += m
    s = 0.0
    for rep in pr:
        hit = [0] * k
        for i, m in enumerate(mult):
            if m and rep[i] == truth[i]:
                hit[truth[i]] += m
        s += sum(hit[c] / n[c] for c in range(k) if n[c]) / k
    return s / len(pr)

def multiplicity(idx):
    m = [0] * len(truth)
    for i in idx:
        m[i] += 1
    return m

sets = {}
for a in sys.argv[2:]:
    name, rest = a.split("=", 1)
    d, reg = rest.rsplit(":", 1)
    sets[name] = preds(d, reg)
names = list(sets)
base = names[0]
full = [1] * len(truth)
rng = random.Random(1)
boots = [multiplicity([rng.randrange(len(truth)) for _ in full]) for _ in range(2000)]
print("B - A\tdifference\t95% CI")
for other in names[1:]:
    d0 = bacc(full, sets[base]) - bacc(full, sets[other])
    ds = sorted(bacc(b, sets[base]) - bacc(b, sets[other]) for b in boots)
    print(f"{base} - {other}\t{d0:+.3f}\t{ds[49]:+.3f} to {ds[1949]:+.3f}", flush=True)
