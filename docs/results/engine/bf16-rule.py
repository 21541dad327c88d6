#!/usr/bin/python3
"""Apply the bf16 quality rule fixed before the results (a22-notes, w22 session 8) to bf16.tsv."""
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
ok_all = True
for wt in ('last', 'ema'):
    f = [r for r in rows if r['weights'] == wt and r['precision'] == 'fp32']
    b = [r for r in rows if r['weights'] == wt and r['precision'] == 'bf16']
    ffd = [float(r['frechet']) for r in f]; frc = [float(r['recall_knn']) for r in f]
    bfd = [float(r['frechet']) for r in b]; brc = [float(r['recall_knn']) for r in b]
    a = statistics.median(bfd) <= max(ffd) and statistics.median(brc) >= min(frc)
    worse_fd = sum(x > max(ffd) for x in bfd); worse_rc = sum(x < min(frc) for x in brc)
    ok = a and worse_fd <= 1 and worse_rc <= 1
    ok_all &= ok
    print(f"{wt}: fp32 n={len(f)} Frechet {min(ffd):.2f}-{max(ffd):.2f} (median {statistics.median(ffd):.2f}), recall {min(frc):.3f}-{max(frc):.3f} (median {statistics.median(frc):.3f})")
    print(f"{wt}: bf16 n={len(b)} Frechet {min(bfd):.2f}-{max(bfd):.2f} (median {statistics.median(bfd):.2f}), recall {min(brc):.3f}-{max(brc):.3f} (median {statistics.median(brc):.3f})")
    print(f"{wt}: (a) {'holds' if a else 'fails'}; (b) bf16 seeds worse than fp32's worst: Frechet {worse_fd}, recall {worse_rc} -> {'PASS' if ok else 'FAIL'}")
print('bf16', 'PASSES' if ok_all else 'FAILS', 'the rule')
