#!/usr/bin/python3
"""Renders a scripts/bench-ladder.sh results directory as the markdown tables of docs/benchmarks.md's ladder section.
Usage: bench-ladder-report.py RESULTS_DIR [MORE_RESULTS_DIRS...]
With several directories (runs of the same ladder), each case at each thread count takes its fastest run: the host's
drift only ever slows a step, so the fastest of a few runs is the closest to the machine's own speed."""
import json, os, sys

def jl(name):
    rows = []
    for R in sys.argv[1:]:
        path = os.path.join(R, name)
        if os.path.exists(path): rows += [json.loads(l) for l in open(path) if l.strip().startswith('{')]
    return rows

ours, peer = jl('train-ladder.jsonl'), jl('train-ladder-peer.jsonl')
norm = lambda a: a.replace(':', '')  # hermite:3 (Ortho) is hermite3 (the peer's torchortho names)
def key(d): return (d['task'], d['preset'], d['batch'], d.get('block', d.get('image_size')), norm(d['activation']))
def by_case(rows):
    cases = {}
    for d in rows:
        runs = cases.setdefault(key(d), {})
        if d['threads'] not in runs or d['ms_per_step'] < runs[d['threads']]['ms_per_step']: runs[d['threads']] = d
    return cases
oc, pc = by_case(ours), by_case([d for d in peer if not d['activation'].startswith('hermiterec')])
# The recurrence form of Hermite (same function, torch ops) stands in where torchortho's own Hermite did not run.
for k, runs in by_case([dict(d, activation=d['activation'].replace('hermiterec', 'hermite')) for d in peer
                        if d['activation'].startswith('hermiterec')]).items():
    if k not in pc: pc[k] = {t: dict(d, rec=True) for t, d in runs.items()}
best = lambda runs: min(runs.values(), key=lambda d: d['ms_per_step']) if runs else None

if ours:
    d0 = ours[0]
    runs = f" (the fastest of {len(sys.argv) - 1} runs for each case, the last started {ours[-1].get('date', '?')})" if len(sys.argv) > 2 else ''
    print(f"Measured {d0.get('date', '?')}{runs} at commit `{d0.get('commit', '?')}`, {d0.get('cpu', '?')}, {d0.get('cores', '?')} logical cores, "
          f"{d0.get('simd', '?')}; the peer {peer[0]['peer'] if peer else '(not run)'} with OpenBLAS.\n")
print("| task | preset | batch x size | activation | Ortho ms/step (1 / 2 thr) | x floor (1 / 2 thr) | vs GELU | peer ms/step (1 / 2 thr) | peer / Ortho (best each) | GFLOP/step | tokens or images/s | peak RSS MB | pool peak MB | peer RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def two(runs, f, fmt):
    return ' / '.join(fmt.format(runs[t][f]) if t in runs else '-' for t in (1, 2))
for k, runs in oc.items():
    task, preset, batch, size, act = k
    b = best(runs)
    g = oc.get((task, preset, batch, size, 'gelu'))
    vs = ''
    if g and act != 'gelu':
        # Both at the better thread count, each step over its own FLOP floor: the ratio is robust to the host's drift.
        t = b['threads']
        if t in g: vs = f"{runs[t]['floor_ratio'] / g[t]['floor_ratio']:.2f}x"
    p = pc.get(k, {})
    pb = best(p)
    items = b.get('tokens_per_s', b.get('images_per_s'))
    ratio = '%.2fx' % (pb['ms_per_step'] / b['ms_per_step']) if pb else ''
    if pb and pb.get('rec'): ratio += ' (rec)'
    print(f"| {task} | {preset} | {batch} x {size} | {act} | {two(runs, 'ms_per_step', '{:.1f}')} | {two(runs, 'floor_ratio', '{:.2f}')} | {vs} | "
          f"{two(p, 'ms_per_step', '{:.1f}') if p else ''} | {ratio} | "
          f"{b['step_gflop']:.1f} | {items:.0f} | {b['peak_rss_mb']} | {b['peak_pool_mb']} | {pb['peak_rss_mb'] if pb else ''} |")
