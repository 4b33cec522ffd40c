#!/usr/bin/python3
"""Turns a scripts/bench-all.sh results directory into docs/benchmarks.md (markdown on stdout).
Usage: bench-report.py RESULTS_DIR"""
import json, os, sys

R = sys.argv[1]
def jl(name):
    path = os.path.join(R, name)
    return [json.loads(l) for l in open(path) if l.strip().startswith('{')] if os.path.exists(path) else []
def lines(name):
    path = os.path.join(R, name)
    return [l.split() for l in open(path) if l.strip()] if os.path.exists(path) else []

out = []
w = out.append

# The run's header: every `ortho bench --json` line carries cpu, cores, simd, dotnet, date, version and commit;
# machine.txt (written by bench-all.sh) adds memory and OS, and stands in for results of older builds.
machine = dict(l.split(':', 1) for l in open(os.path.join(R, 'machine.txt')).read().splitlines() if ':' in l)
machine = {k.strip(): v.strip() for k, v in machine.items()}
ours = [d for f in ('gemm.jsonl', 'activations.jsonl', 'kernels.jsonl', 'attention.jsonl', 'conv.jsonl',
                    'train-lm.jsonl', 'train-image.jsonl') for d in jl(f)]
def field(key, fallback):
    vals = list(dict.fromkeys(str(d[key]) for d in ours if key in d))
    return ', '.join(vals) if vals else machine.get(fallback, '?')
cpu, cores, simd = field('cpu', 'Model name'), field('cores', 'CPU(s)'), field('simd', 'simd')
date, commit, version, dotnet = field('date', 'date'), field('commit', 'commit'), field('version', 'version'), field('dotnet', 'dotnet')
if dotnet == '?' and 'dotnet sdk' in machine: dotnet = 'SDK ' + machine['dotnet sdk']
if ',' in commit:
    print(f"bench-report: the results come from several commits ({commit})", file=sys.stderr)
w("# Benchmarks\n")
w(f"- date: {date} (UTC)")
dirty = ' with uncommitted changes' if 'uncommitted' in machine else ''
w(f"- commit: `{commit}`{dirty} (ortho {version})")
w(f"- machine: {cpu}, {cores} logical cores, {simd} path; {machine.get('memory', '?')} memory; {machine.get('os', '?')}")
w(f"- .NET {dotnet}\n")
w(f"Every number on this page comes from that one run of `scripts/bench-all.sh` (turned into this page by `scripts/bench-report.py`):")
w("Release build, each case warmed up before timing, median of repeats. The peers ran in the same run on the same machine:")
w("OpenBLAS through NumPy (the script unsets OPENBLAS_CORETYPE and, when the installed OpenBLAS release falls back to a generic")
w("kernel on the CPU, selects the best one the CPU supports for the peer run only) and the PyTorch peer: PyTorch 1.13 (Debian's")
w("`python3-torch` with `libopenblas0-pthread`) running the project's own PyTorch models and recipes in `scripts/peer/`")
w("(see `scripts/peer/README.md`), with OPENBLAS_NUM_THREADS set to the thread count. Whether two vCPUs behave like two cores or")
w("share one depends on the machine, so both thread counts are shown and each side is compared at its faster setting. One command")
w("at a time: `dotnet run -c Release --project src/Ortho.Cli -- bench <gemm|activations|kernels|attention|conv|train> [--threads 1,2] [--json]`.\n")

lm, im = jl('train-lm.jsonl'), jl('train-image.jsonl')
tl, ti = lines('train-lm-torch.txt'), lines('train-image-torch.txt')
w("## Training step\n")
w("`ortho bench train --task lm|image --activation A --threads 1,2`: synthetic batches of the default recipes' shapes (LM: B16 x T128,")
w("4 layers, 128 dims; image: the Fashion-MNIST ConvNeXt at B128), median of 10 steps after warm-up; a step is forward, backward,")
w("clipping (LM) and AdamW. The peer: `scripts/peer/bench_gpt.py ACT THREADS 10` and `scripts/peer/train_convnext.py DIR gelu 1 THREADS --bench`.\n")
w("| task | activation | ours, 1 thread (ms) | ours, 2 threads (ms) | vs our GELU, 2 threads |")
w("|---|---|---|---|---|")
for rows, task in ((lm, 'lm'), (im, 'image')):
    if not rows: continue
    g2 = next(d['ms_per_step'] for d in rows if d['activation'] == 'gelu' and d['threads'] == 2)
    for a in dict.fromkeys(d['activation'] for d in rows):
        r = {d['threads']: d['ms_per_step'] for d in rows if d['activation'] == a}
        w(f"| {task} | {a} | {r.get(1, 0):.1f} | {r.get(2, 0):.1f} | {r.get(2, 0) / g2 - 1:+.0%} |")
w("")
if tl:
    t = {(x[0], i // 2 + 1): float(x[1]) for i, x in enumerate(tl)}
    w(f"PyTorch peer, LM step: GELU {t[('gelu', 1)]:.1f} ms with 1 thread, {t[('gelu', 2)]:.1f} ms with 2; the Hermite-3 recurrence (`hermiterec3`,")
    w(f"torchortho's function) {t[('hermiterec3', 1)]:.1f} / {t[('hermiterec3', 2)]:.1f} ms.")
    best = min(t[('gelu', 1)], t[('gelu', 2)])
    ours = min(d['ms_per_step'] for d in lm if d['activation'] == 'gelu')
    w(f"Our GELU LM step at our faster setting is **{ours / best:.2f}x** the peer's at its faster setting.")
if ti:
    ts = {int(x[0]): float(x[2]) for x in ti}
    best = min(ts.values()); ours = min(d['ms_per_step'] for d in im if d['activation'] == 'gelu')
    w(f"PyTorch peer, image step (GELU): {ts[1]:.1f} ms with 1 thread, {ts[2]:.1f} ms with 2; ours is **{ours / best:.2f}x** the peer's (faster settings).")
w("torchortho 0.1.2's own Hermite-3 in the same LM step took 6675 ms with 1 thread when measured once on a 2-vCPU Intel Xeon (AVX-512);")
w("torchortho is optional for the peer and not part of this run.\n")

w("## SGEMM vs OpenBLAS\n")
w("`ortho bench gemm` and `scripts/peer/bench_openblas.py` on the same shapes; the LM shapes are the default model's Linear layers")
w("in the three transposition cases of a Linear (forward NT, dx NN, dW TN).\n")
g, o = jl('gemm.jsonl'), jl('gemm-openblas.jsonl')
key = lambda d: (d.get('case'), d['m'], d['n'], d['k'], d['transA'], d['transB'], d['threads'])
om = {key(d): d for d in o}
w("| case | m x n x k | op | threads | ours GFLOP/s | OpenBLAS GFLOP/s | ours / OpenBLAS |")
w("|---|---|---|---|---|---|---|")
for d in g:
    p = om.get(key(d))
    op = ('T' if d['transA'] else 'N') + ('T' if d['transB'] else 'N')
    w(f"| {d.get('case')} | {d['m']}x{d['n']}x{d['k']} | {op} | {d['threads']} | {d['gflops']:.1f} | {p['gflops']:.1f} | {d['gflops'] / p['gflops']:.2f} |" if p else
      f"| {d.get('case')} | {d['m']}x{d['n']}x{d['k']} | {op} | {d['threads']} | {d['gflops']:.1f} | | |")
w("")

w("## Activations on 4M floats\n")
w("`ortho bench activations`, Melem/s; forward+backward = forward, then dx and every parameter gradient in one fused pass. `memcpy`")
w("moves the same bytes with no arithmetic (the bandwidth ceiling). The PyTorch column is `scripts/peer/bench_torch_activations.py`:")
w("torch's GELU and the same formulas written with torch ops in eager mode. torchortho 0.1.2 itself is not part of this run; measured")
w("once on a 2-vCPU Intel Xeon (AVX-512) with 2 threads it gave Hermite-3 0.7, Hermite-8 0.2, Fourier-3 3.5, Fourier-8 1.4, Tropical-3")
w("4.9 and Tropical-8 4.3 Melem/s fwd+bwd, used for the last column (Fourier-5 and Tropical-5 against the degree-3 figures, a lower")
w("bound; figures from another day and machine, so the ratio is indicative only).\n")
a = jl('activations.jsonl')
t = {(d['name'], d['degree'], d['threads']): d for d in jl('activations-torch.jsonl')}
gel = {d['threads']: d['fwdbwd_melem_s'] for d in a if d['name'] == 'gelu'}
cp = {d['threads']: d['fwdbwd_melem_s'] for d in a if d['name'] == 'memcpy'}
tor = {('hermite', 3): 0.7, ('hermite', 8): 0.2, ('fourier', 5): 3.5, ('fourier', 8): 1.4, ('tropical', 5): 4.9, ('tropical', 8): 4.3}
cpf = {d['threads']: d['fwd_melem_s'] for d in a if d['name'] == 'memcpy'}
w("| kernel | degree | threads | fwd | fwd+bwd | fwd GB/s (of memcpy) | fwd+bwd GB/s (of memcpy) | / our GELU | PyTorch fwd+bwd | ours / PyTorch | ours / torchortho |")
w("|---|---|---|---|---|---|---|---|---|---|---|")
for d in a:
    base = d['name'].split('_')[0] if d['name'].startswith('fourier') else d['name']
    p = t.get((base, d['degree'], d['threads']))
    tt = tor.get((base, d['degree']))
    fb = d['fwdbwd_melem_s']
    peer = p['fwdbwd_melem_s'] if p else None
    vs_peer = f"{fb / peer:.2f}x" if peer else ''
    vs_torchortho = f"{fb / tt:.0f}x" if tt and d['threads'] == 2 else ''
    w(f"| {d['name']} | {d['degree'] or ''} | {d['threads']} | {d['fwd_melem_s']:.0f} | {fb:.0f} | "
      f"{d['fwd_melem_s'] * 8e-3:.1f} ({d['fwd_melem_s'] / cpf[d['threads']]:.0%}) | {fb * 20e-3:.1f} ({fb / cp[d['threads']]:.0%}) | {fb / gel[d['threads']]:.2f} | "
      f"{peer if peer else ''} | {vs_peer} | {vs_torchortho} |")
w("\n`fourier_frozen` is the harmonic path (frequencies integer multiples of one base: at init, or with `frozenFrequencies: true`);")
w("`fourier_learned` forces the per-term sincos path that training takes once the frequencies move.\n")

w("## Fused row kernels\n")
w("`ortho bench kernels`: the default LM's shapes (2048 rows; 128 channels; 256-way softmax and cross-entropy; AdamW over 4M")
w("parameters) in GB/s of compulsory traffic, next to a memory copy of the same bytes. These working sets sit in L2, so the copy")
w("runs at cache speed; the exp-bound softmax and cross-entropy forward are far from it (they are ~1% of a training step).\n")
w("| kernel | threads | GB/s | memcpy GB/s | ratio |")
w("|---|---|---|---|---|")
for d in jl('kernels.jsonl'):
    w(f"| {d['name']} | {d['threads']} | {d['gb_s']} | {d['memcpy_gb_s']} | {d['ratio']} |")

w("\n## Attention and convolutions\n")
w("`ortho bench attention` (fused causal attention straight from the fused QKV buffer; FLOPs 2BHT^2D forward, 3.5x for forward+backward)")
w("and `ortho bench conv` (the Fashion-MNIST ConvNeXt's shapes at batch 128; every tap counted). For scale, one thread's FMA rate in")
w("the GEMM micro-kernel is ~186 GFLOP/s. The general NCHW convolution is the any-geometry correctness path; the models use the")
w("channels-last patchify and depthwise kernels.\n")
w("| kernel | shape | threads | ms | GFLOP/s |")
w("|---|---|---|---|---|")
for d in jl('attention.jsonl') + jl('conv.jsonl'):
    w(f"| {d['name']} | {d['shape']} | {d['threads']} | {d['ms']:.3f} | {d['gflops']:.1f} |")

def profile_section(rows):
    """The profile of `ortho bench train --profile --json`, one JSON line per thread count of one case."""
    rows = [d for d in rows if 'profile' in d]
    if not rows: return
    first, last = rows[0], rows[-1]
    w(f"Case: {first['task']} {first['preset']} {first['activation']}, batch {first['batch']} x {first.get('block', first.get('image_size'))}; "
      f"{first['step_gflop']:.2f} GFLOP of matrix work per step; {first['profile']['steps']} profiled steps per thread count.\n")
    head = "| family | phase |" + "".join(f" {d['threads']} thr ms | share | rate |" + (" par |" if d['threads'] > 1 else "") for d in rows)
    w(head + (" speedup | lost ms |" if len(rows) > 1 else ""))
    w("|---|---|" + "".join("---|---|---|" + ("---|" if d['threads'] > 1 else "") for d in rows) + ("---|---|" if len(rows) > 1 else ""))
    def rate(f): return f"{f['gflops']:.1f} GFLOP/s" if 'gflops' in f else f"{f['gb_s']:.1f} GB/s" if 'gb_s' in f else ""
    keys = [(f['family'], f['phase']) for f in first['profile']['families']]
    for k in keys + [('step', '')]:
        line = f"| {k[0]} | {k[1]} |"
        got = []
        for d in rows:
            fams = d['profile']['families']
            if k[0] == 'step':
                f = {'ms': sum(x['ms'] for x in fams), 'share': 1.0, 'parallel_share': sum(x['ms'] * x['parallel_share'] for x in fams) / max(1e-9, sum(x['ms'] for x in fams))}
            else:
                f = next((x for x in fams if (x['family'], x['phase']) == k), None)
            got.append(f)
            line += (f" {f['ms']:.2f} | {100 * f['share']:.1f}% | {rate(f)} |" if f else " | | |") + ((f" {100 * f['parallel_share']:.0f}% |" if f else " |") if d['threads'] > 1 else "")
        if len(rows) > 1 and got[0] and got[-1]:
            ideal = got[0]['ms'] * rows[0]['threads'] / rows[-1]['threads']
            line += f" {got[0]['ms'] / got[-1]['ms']:.2f}x | {got[-1]['ms'] - ideal:.2f} |"
        w(line)
    if len(rows) > 1:
        ops_last = {(o['family'], o['phase'], o['op']): o for o in last['profile']['ops']}
        serial = [(o, ops_last.get((o['family'], o['phase'], o['op']))) for o in first['profile']['ops']]
        s_ms = sum(o['ms'] * (1 - (l['parallel_share'] if l else 0)) for o, l in serial)
        t1 = first['profile']['step_ms']; r = last['threads'] / first['threads']
        split = sum(o['ms'] * o['parallel_share'] for o in last['profile']['ops']) / last['profile']['step_ms']
        w(f"\nAt {last['threads']} threads {100 * split:.0f}% of the step ran split over the threads; the work that ran on one thread there took "
          f"{s_ms:.1f} ms ({100 * s_ms / t1:.0f}%) of the {first['threads']}-thread step, which bounds the speedup at {t1 / (s_ms + (t1 - s_ms) / r):.2f}x "
          f"(Amdahl). That work, by op ({first['threads']}-thread ms):")
        top = sorted(((o, l) for o, l in serial if l and l['parallel_share'] < 0.5), key=lambda x: -x[0]['ms'])
        w(", ".join(f"{o['op']} {o['phase']} {o['ms']:.1f}" for o, l in top[:14]) + ".\n")

def ladder_section(ours, peer):
    if not ours: return
    pk = {(d['task'], d['preset'], d['activation'], d['batch'], d.get('block', d.get('image_size')), d['threads']): d for d in peer}
    w("| task | preset | batch x size | params | threads | ms/step | tokens or images/s | GFLOP/step | GFLOP/s | SGEMM GFLOP/s | x floor | peak RSS MB | pool peak MB | peer ms/step | peer GFLOP/s | peer RSS MB |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in ours:
        size = d.get('block', d.get('image_size'))
        p = pk.get((d['task'], d['preset'], d['activation'], d['batch'], size, d['threads']))
        items = d.get('tokens_per_s', d.get('images_per_s'))
        rss = d['peak_rss_mb'] if d.get('peak_rss_mb') is not None else '?'
        w(f"| {d['task']} | {d['preset']} | {d['batch']} x {size} | {d['params'] / 1e6:.1f}M | {d['threads']} | {d['ms_per_step']:.1f} | {items:.1f} | "
          f"{d['step_gflop']:.2f} | {d['gflops']:.1f} | {d['sgemm_gflops']:.1f} | {d['floor_ratio']:.2f} | {rss} | {d['peak_pool_mb']} | "
          + (f"{p['ms_per_step']:.1f} | {p['gflops']:.1f} | {p['peak_rss_mb']} |" if p else " | | |"))
    w("")

prof, lad = jl('train-profile.jsonl'), jl('train-ladder.jsonl')
if prof:
    w("## Where a training step's time goes\n")
    w("`ortho bench train --profile --threads 1,2`: the timed steps under the op profiler, by op family and phase, with each family's")
    w("achieved GFLOP/s (matrix work) or GB/s (compulsory traffic of memory-bound work); `par` is the share of the time spent in regions")
    w("split over the threads, `lost ms` the time lost against perfect scaling from one thread.\n")
    profile_section(prof)
if lad:
    w("## Model-size ladder\n")
    w("`ortho bench train --task lm|image --preset P --threads 1,2`: ms per step, throughput, matrix FLOPs per step and achieved GFLOP/s,")
    w("our SGEMM rate (1024^3) in the same run, the step's ratio to its FLOP floor (FLOPs / SGEMM rate), and peak memory (process RSS;")
    w("the tensor pool's peak of live activations and temporaries). The peer is `scripts/peer/bench_ladder.py`, same presets and output.\n")
    ladder_section(lad, jl('train-ladder-peer.jsonl'))

w("\n## Fitting\n")
w("`ortho fit --activation hermite:N --target gelu` (GELU erf form on [-3, 3], uniform weight, least squares on f and f' in double):")
w("degree 8 max |f-g| 2.86e-3 and max |f'-g'| 2.42e-2; degree 12: 7.63e-5 and 1.15e-3; degree 16: 1.26e-6 and 2.82e-5, each in")
w("2-4 ms after warm-up (`tests/Ortho.Tests/Activations` checks the accuracies; torchortho's Adam fit takes 41 s to reach 0.15 at degree 8).")
print('\n'.join(out))
