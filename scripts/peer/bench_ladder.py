#!/usr/bin/python3
"""Training-step time of the PyTorch peer on the model sizes of `ortho bench train --preset` (src/Ortho.Cli/Bench/TrainPresets.cs).

Usage: bench_ladder.py [--task lm|image] [--preset default,small,...] [--activation gelu,...] [--batch N,...]
                       [--block N] [--threads 1,2] [--steps 3] [--warmup 2]

Prints one JSON object per line with the fields of `ortho bench train --json` that the peer can measure, plus
"peer": "pytorch <version>":
    {"task":"lm","preset":"default","activation":"gelu","batch":16,"block":128,"params":..,"threads":1,
     "ms_per_step":..,"tokens_per_s":..,"step_gflop":..,"gflops":..,"peak_rss_mb":..,"peer":"pytorch 1.13.0"}

The presets are the same models (scripts/peer/gpt.py, scripts/peer/convnext.py) at the same sizes and batches; a step is
the same: a fresh random batch, forward, zero_grad, backward, clip 1.0 (LM), AdamW with the recipes' settings. step_gflop
counts the matrix work as Ortho does (2 FLOPs per multiply-add; attention over the causal half of T x T; backward twice
the forward, the attention's 2.5 times), so achieved GFLOP/s compare directly (the peer's attention computes the full
T x T matrix, which is not credited). ms_per_step is the median of the timed steps after warm-up.

Each (preset, batch, activation, threads) runs in its own process with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to
the thread count (Debian's OpenBLAS keeps its own pool, which torch.set_num_threads alone does not limit), so the
thread count holds for the GEMMs and peak_rss_mb (the process's peak resident memory) is that case's alone.
Setup: apt-get install -y python3-torch libopenblas0-pthread; run with /usr/bin/python3.
"""
import argparse, json, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (model config, default batch), as in TrainPresets.cs
LM = {
    'default': (dict(vocab=256, block=128, n_layer=4, n_head=4, n_embd=128), 16),
    'small': (dict(vocab=256, block=256, n_layer=6, n_head=6, n_embd=384), 8),
    'gpt2': (dict(vocab=50257, block=1024, n_layer=12, n_head=12, n_embd=768), 1),
}
IMAGE = {
    'default': (dict(in_chans=1, classes=10, depths=(2, 2, 2), dims=(32, 64, 128), stem=2, size=28), 128),
    'small': (dict(in_chans=3, classes=100, depths=(2, 2, 6, 2), dims=(40, 80, 160, 320), stem=4, size=128), 16),
    'convnext-t': (dict(in_chans=3, classes=1000, depths=(3, 3, 9, 3), dims=(96, 192, 384, 768), stem=4, size=224), 8),
}


def ints(s):
    return [int(x) for x in s.split(',') if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--task', default='lm', choices=['lm', 'image'])
    ap.add_argument('--preset', default='default')
    ap.add_argument('--activation', default='gelu')
    ap.add_argument('--batch', default='')
    ap.add_argument('--block', type=int, default=0)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--one', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    presets = LM if a.task == 'lm' else IMAGE
    for p in a.preset.split(','):
        if p not in presets:
            sys.exit(f"bench_ladder.py: --preset '{p}' is not a {a.task} preset; choose from {', '.join(presets)}")
    if a.one:
        run_one(a, presets)
        return
    for p in a.preset.split(','):
        for b in ints(a.batch) or [0]:
            for act in a.activation.split(','):
                for t in ints(a.threads):
                    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
                    cmd = [sys.executable, os.path.abspath(__file__), '--one', '--task', a.task, '--preset', p, '--activation', act,
                           '--batch', str(b), '--block', str(a.block), '--threads', str(t), '--steps', str(a.steps), '--warmup', str(a.warmup)]
                    sys.stdout.flush()
                    subprocess.run(cmd, env=env, check=True)


def run_one(a, presets):
    T = os.environ.get('TORCHORTHO', '/tmp/torchortho'); sys.path.insert(0, T)
    sys.path.insert(0, HERE)
    import resource, statistics, torch, torch.nn as nn, torch.nn.functional as F
    threads, act = int(a.threads), a.activation
    torch.set_num_threads(threads); torch.manual_seed(1337)
    cfg, batch = presets[a.preset]
    batch = int(a.batch) or batch
    g = torch.Generator().manual_seed(1)
    if a.task == 'lm':
        from gpt import GPT, optimizer
        cfg = dict(cfg, block=a.block or cfg['block'])
        m = GPT(act=act, **cfg); opt = optimizer(m)
        B, Tk, C, L, V = batch, cfg['block'], cfg['n_embd'], cfg['n_layer'], cfg['vocab']
        n = B * Tk
        flops = 3 * (L * 2 * n * 12 * C * C + 2 * n * C * V) + 3.5 * L * 2 * B * C * Tk * (Tk + 1)
        items, item, size_key, size = n, 'tokens', 'block', Tk

        def step():
            x = torch.randint(0, V, (B, Tk), generator=g); y = torch.randint(0, V, (B, Tk), generator=g)
            _, loss = m(x, y); opt.zero_grad(set_to_none=True); loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    else:
        from convnext import ConvNeXt
        c = dict(cfg); size = c.pop('size')
        m = ConvNeXt(act=act, **c)
        decay = [p for p in m.parameters() if p.dim() >= 2]; nod = [p for p in m.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': nod, 'weight_decay': 0.0}], lr=2e-3)
        x = torch.randn(batch, c['in_chans'], size, size, generator=g)
        y = torch.randint(0, min(c['classes'], 256), (batch,), generator=g)
        flops = count_conv_flops(m, x, nn)
        items, item, size_key = batch, 'images', 'image_size'

        def step():
            loss = F.cross_entropy(m(x), y); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1e3
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({'task': a.task, 'preset': a.preset, 'activation': act, 'batch': batch, size_key: size,
                      'params': sum(p.numel() for p in m.parameters()), 'threads': threads, 'ms_per_step': round(ms, 2),
                      f'{item}_per_s': round(items / (ms / 1e3), 1), 'step_gflop': round(flops / 1e9, 4),
                      'gflops': round(flops / ms / 1e6, 2), 'peak_rss_mb': round(rss_mb, 1), 'peer': f'pytorch {torch.__version__}'}), flush=True)


def count_conv_flops(m, x, nn):
    """Matrix FLOPs of one training step as Ortho counts them: each conv and linear 2 per multiply-add forward, the
    backward twice that (once when its input needs no gradient: the stem)."""
    total = [0.0]

    def hook(mod, inp, out):
        per = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1] if isinstance(mod, nn.Conv2d) else mod.in_features
        f = 2.0 * out.numel() * per
        total[0] += f * (3 if inp[0].requires_grad else 2)
    hs = [mod.register_forward_hook(hook) for mod in m.modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]
    m(x)
    for h in hs:
        h.remove()
    return total[0]


if __name__ == '__main__':
    main()
