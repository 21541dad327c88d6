#!/usr/bin/python3
"""How much a demo's gate result hangs on chance: per class, the share of synthetic images nearer
a training film than a holdout film, over 300 random equal-size subsets T' and H' (the gate draws
one), with the gate's pixel distance (centre crop, Pearson correlation, best of the shifts of up to
2 pixels). Prints per class: the mean share, its spread (sd) over the subsets, how often it is
above 0.65 (about where the gate's 95% bound passes 0.52 at 100 images), the share of the
synthetic images whose nearest film (of all the class's films) is a training film (train films
are 70% of them), how many distinct nearest films there are and how many effectively
(1 / sum of squared shares), and the mean correlation with the nearest film.

    hubs.py WORKSPACE:SYNTHDIR:LABEL ...      (Debian: python3-numpy, python3-pil)

SYNTHDIR holds index.csv and the candidates (WORKSPACE/synth after raysynth synth). Reads the
private real images: keep its output, not the images, when you publish.
"""
import csv
import os
import sys
from collections import Counter

import numpy as np
from PIL import Image

SHIFT = 2  # privacy policy: memorization.shift_pixels


def img(p):
    return np.asarray(Image.open(p).convert('L'), dtype=np.float64)


def norm(v):
    v = v - v.mean(-1, keepdims=True)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def analyse(ws, synthdir, label):
    real = list(csv.DictReader(open(os.path.join(ws, 'real/index.csv'))))
    syn = list(csv.DictReader(open(os.path.join(synthdir, 'index.csv'))))
    for cls in sorted({s['class'] for s in syn}):
        R = [r for r in real if r['class'] == cls]
        A = np.array([img(os.path.join(ws, 'real/images', r['id'] + '.png')) for r in R])
        c = A.shape[1] - 2 * SHIFT
        S = [s for s in syn if s['class'] == cls]
        B = np.array([img(os.path.join(synthdir, s['file'])) for s in S])
        Y = norm(B[:, SHIFT:SHIFT + c, SHIFT:SHIFT + c].reshape(len(S), -1))
        C = np.full((len(S), len(R)), -2.0)  # best correlation over the shifts
        for dy in range(-SHIFT, SHIFT + 1):
            for dx in range(-SHIFT, SHIFT + 1):
                X = norm(A[:, SHIFT + dy:SHIFT + dy + c, SHIFT + dx:SHIFT + dx + c].reshape(len(R), -1))
                C = np.maximum(C, Y @ X.T)
        train = np.array([r['split'] == 'train' for r in R])
        Ti, Hi = np.where(train)[0], np.where(~train)[0]
        k = len(Hi) // 2  # the gate's subset size: half the holdout (one film per patient here)
        rng = np.random.default_rng(0)
        shares = []
        for _ in range(300):
            t, h = rng.choice(Ti, k, replace=False), rng.choice(Hi, k, replace=False)
            shares.append((C[:, t].max(1) > C[:, h].max(1)).mean())
        shares = np.array(shares)
        nearest = C.argmax(1)
        w = np.array(list(Counter(nearest).values())) / len(nearest)
        print('%s %-12s share %.2f sd %.2f p(>.65) %.2f  nn-in-T %.2f  distinct %3d eff %5.1f  nn-corr %.3f' % (
            label, cls, shares.mean(), shares.std(), (shares > 0.65).mean(), train[nearest].mean(),
            len(w), 1 / (w ** 2).sum(), C.max(1).mean()), flush=True)


for arg in sys.argv[1:]:
    analyse(*arg.split(':'))
