#!/usr/bin/python3
"""Forward and forward+backward throughput of the activations in PyTorch eager mode (Debian python3-torch), the
side-by-side peer of `ortho bench activations`. Prints JSON lines with the same fields plus "peer".

GELU is torch's own kernel. The learnable activations are the paper's formulas (arXiv:2502.01247, with torchortho's
initial values) written with torch ops, the way a PyTorch user would: the Hermite three-term recurrence, as
HermiteRecurrence in gpt.py beside this script; Fourier cos terms; tropical max over stacked lines. torchortho 0.1.2
itself is optional and not used here (see README.md beside this script); measured once on a 2-vCPU Intel Xeon
(AVX-512) with 2 threads, it ran Hermite-3 at 0.7, Fourier-5 at ~2 and Tropical-5 at ~4.6 Melem/s fwd+bwd, which
these eager formulas beat.
Usage: bench_torch_activations.py [--threads 1,2] [--elements N]"""
import argparse, json, math, time
import torch

def hermite(n):
    a = torch.full((n + 1,), math.exp(-0.5), requires_grad=True)
    def f(x):
        p0, p1 = torch.ones_like(x), x
        out = a[0] * p0 + a[1] * p1
        for k in range(2, n + 1):
            p0, p1 = p1, (x * p1 - p0) / k
            out = out + a[k] * p1
        return out
    return f

def fourier(n):
    c = torch.full((n,), 0.6623264, requires_grad=True); p = torch.full((n,), math.pi / 4, requires_grad=True)
    w = torch.arange(1, n + 1, dtype=torch.float32).requires_grad_(); f0 = torch.zeros(1, requires_grad=True)
    fact = torch.tensor([float(math.factorial(k)) for k in range(1, n + 1)])
    def f(x):
        out = f0.expand_as(x)
        for k in range(n):
            out = out + c[k] * torch.cos(w[k] * x - p[k]) / fact[k]
        return out
    return f

def tropical(n):
    a = torch.ones(n + 1, requires_grad=True)
    def f(x):
        lines = torch.stack([k * x + a[k] for k in range(n + 1)], 0)
        return math.sqrt(2) / n * lines.max(0).values
    return f

def measure(fn, x, dy, backward):
    def run():
        if backward:
            xx = x.detach().requires_grad_()
            fn(xx).backward(dy)
        else:
            with torch.no_grad(): fn(x)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.5: run()
    ts = []
    for _ in range(5):
        t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
    return x.numel() / sorted(ts)[2] / 1e6

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--threads', default='1,2'); ap.add_argument('--elements', type=int, default=4 << 20)
    a = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a.elements, generator=g); dy = torch.randn(a.elements, generator=g)
    cases = [('gelu', 0, torch.nn.functional.gelu), ('hermite', 3, hermite(3)), ('hermite', 8, hermite(8)),
             ('fourier', 5, fourier(5)), ('fourier', 8, fourier(8)), ('tropical', 5, tropical(5)), ('tropical', 8, tropical(8))]
    for th in [int(t) for t in a.threads.split(',')]:
        torch.set_num_threads(th)
        for name, deg, fn in cases:
            print(json.dumps(dict(name=name, degree=deg, elements=a.elements, threads=th, peer='pytorch-eager',
                                  fwd_melem_s=round(measure(fn, x, dy, False), 2), fwdbwd_melem_s=round(measure(fn, x, dy, True), 2))), flush=True)

main()
