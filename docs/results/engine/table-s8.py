#!/usr/bin/python3
"""Tables of docs/results/engine/real-run.md from generation-s8/ (3 interleaved rounds on a quiet machine)."""
import json
import statistics as st
import sys

d = sys.argv[1] if len(sys.argv) > 1 else 'docs/results/engine/generation-s8'
rows = {}
for r in (1, 2, 3):
    for name, f in (('PyTorch 1.13, 2 threads', f'pytorch-2t-{r}.json'), ('PyTorch 1.13, 1 thread', f'pytorch-1t-{r}.json'),
                    ('raysynth fp32', f'fp32-{r}.json'), ('raysynth bf16', f'bf16-{r}.json')):
        for x in json.load(open(f'{d}/{f}'))['runs']:
            rows.setdefault((x['batch'], name), []).append(x)
print('| batch | engine | generated images/s (3 rounds) | median | CPU ms per image (median) | D+G step wall s (median) | D+G step CPU s (median) |')
print('|---|---|---|---|---|---|---|')
for (b, name), xs in sorted(rows.items()):
    ips = [x['generated_images_per_second'] for x in xs]
    cpu = st.median(1000 * x['generate_batch_cpu_seconds'] / b for x in xs)
    print(f"| {b} | {name} | {', '.join(f'{v:,.0f}' for v in ips)} | **{st.median(ips):,.0f}** | {cpu:.3f} | "
          f"{st.median(x['seconds_per_step'] for x in xs):.3f} | {st.median(x['cpu_seconds_per_step'] for x in xs):.3f} |")
