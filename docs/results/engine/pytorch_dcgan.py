#!/usr/bin/python3
"""PyTorch reference for `raysynth bench gan` (issue 22): the same DCGAN at 64x64, timed the same way.

Generator: z (100) -> linear 4x4x256 (no bias) -> [BatchNorm, ReLU, 4x4 stride-2 transposed
convolution (no bias)] x 4 down to one channel -> bias -> tanh. Discriminator: 4x4 stride-2
convolution 1->32 + bias + LeakyReLU(0.2), then three 4x4 stride-2 convolutions (no bias) each with
BatchNorm and LeakyReLU(0.2), then linear 4096->1 + bias. Channel widths 32..256 (ngf = ndf = 32),
as train.DefaultArch(64). One D+G step: G makes a fake batch (train-mode BatchNorm); D is updated
on real | fake with the non-saturating GAN loss (real and fake each as its own BatchNorm batch, as
raysynth's groups=2 does); G is updated through D(G(z)) (no augmentation: the `--recipe dcgan`
step). Adam lr 2e-4, beta1 0.5. Generation: eval mode, no autograd.

Prints one JSON object: per batch size, the median wall and CPU (process, all threads) seconds of
a D+G step and of a generated batch, and images per second (wall).

  /usr/bin/python3 docs/results/engine/pytorch_dcgan.py --threads 2 --batch 32,64 --steps 10 --gen-batches 10
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

Z = 100


class Gen(nn.Module):
    def __init__(self, ngf=32, size=64):
        super().__init__()
        top = 8 * ngf
        self.top = top
        self.lin = nn.Linear(Z, 4 * 4 * top, bias=False)
        layers = []
        c = top
        while c > ngf:
            layers += [nn.BatchNorm2d(c), nn.ReLU(True), nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False)]
            c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU(True), nn.ConvTranspose2d(c, 1, 4, 2, 1, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(self.lin(z).view(-1, self.top, 4, 4))


class Disc(nn.Module):
    def __init__(self, ndf=32):
        super().__init__()
        self.c0 = nn.Conv2d(1, ndf, 4, 2, 1, bias=True)
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        c = ndf
        for _ in range(3):
            self.convs.append(nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False))
            self.bns.append(nn.BatchNorm2d(2 * c))
            c *= 2
        self.out = nn.Linear(c * 4 * 4, 1)

    def forward(self, x, groups=1):
        h = nn.functional.leaky_relu(self.c0(x), 0.2)
        for conv, bn in zip(self.convs, self.bns):
            h = conv(h)
            # BatchNorm per group (real and fake normalised separately, as raysynth does)
            h = torch.cat([bn(p) for p in h.chunk(groups)]) if groups > 1 else bn(h)
            h = nn.functional.leaky_relu(h, 0.2)
        return self.out(h.flatten(1))


def timed(f, n):
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def bench(batch, steps, gen_batches):
    torch.manual_seed(1)
    g, d = Gen(), Disc()
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    real = torch.rand(batch, 1, 64, 64) * 2 - 1
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        z = torch.randn(batch, Z)
        fake = g(z)
        od.zero_grad(set_to_none=True)
        logits = d(torch.cat([real, fake.detach()]), groups=2)
        (bce(logits[:batch], ones) + bce(logits[batch:], zeros)).backward()
        od.step()
        og.zero_grad(set_to_none=True)
        bce(d(fake), ones).backward()
        og.step()

    g.train()
    d.train()
    step()  # warm-up
    sw, sc = timed(step, steps)

    g.eval()
    zg = torch.randn(batch, Z)

    def gen():
        with torch.inference_mode():
            g(zg)

    gen()
    gw, gc = timed(gen, gen_batches)
    return {"batch": batch, "seconds_per_step": sw, "cpu_seconds_per_step": sc,
            "generate_batch_seconds": gw, "generate_batch_cpu_seconds": gc,
            "generated_images_per_second": batch / gw}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", default="32,64")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--gen-batches", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    runs = [bench(int(b), a.steps, a.gen_batches) for b in a.batch.split(",")]
    print(json.dumps({"torch": torch.__version__, "threads": a.threads,
                      "mkldnn": torch.backends.mkldnn.is_available(), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
