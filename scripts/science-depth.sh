#!/usr/bin/env bash
# Every number and picture of docs/science.md's "Variance through depth", from seeds:
#   variance  second moments through depth at init (ortho variance): MLP 32 x 256 with LeCun and Kaiming weights,
#             the Hermite degree / width / input-scale sweep (-> variance-hermite-sweep.md), the GPT (normal and Brown
#             inputs, widths 128 and 768) -> docs/data/variance-*.json|txt|md, docs/img/variance-*.png|svg
#   peer      the same measurements by the PyTorch peer (scripts/peer/variance.py) and the per-layer comparison
#             -> docs/data/variance-peer-*.json, docs/data/variance-compare-*.md, docs/data/variance-peer-mlp-*-summary.md
#   train     the default LM recipe at 16 layers, GELU / Hermite-3 / Fourier-5 / Tropical-5 and two wrong activation
#             inits, over 3 seeds (runs/depth-*, logs beside them; finished runs are kept, so it resumes)
#             -> docs/data/depth-training-L16.json|md
# Usage: scripts/science-depth.sh [variance|peer|train|all]...   (default: all)
# Environment: THREADS (2), LAYERS (16), STEPS (600: the recipe's), SEEDS ("1 2 3"), EVAL_BATCHES (64: the recipe's),
# ORTHO_DATA (the data directory holding brown/), ORTHO_DLL (a built Ortho.Cli.dll to run instead of building). The training runs take hours on 2 cores (16 layers: ~0.4 s/step on
# a quiet machine); a quick check: STEPS=4 SEEDS=1 LAYERS=2 EVAL_BATCHES=2 scripts/science-depth.sh train
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${THREADS:-2}"
layers="${LAYERS:-16}"
steps="${STEPS:-600}"
seeds="${SEEDS:-1 2 3}"
eval_batches="${EVAL_BATCHES:-64}"
parts=("${@:-all}")
want() { for p in "${parts[@]}"; do [[ "$p" == all || "$p" == "$1" ]] && return 0; done; return 1; }

# ORTHO_DLL: run a copy of the built CLI (e.g. while the tree is rebuilt during the long training runs).
if [[ -z "${ORTHO_DLL:-}" ]]; then dotnet build -c Release src/Ortho.Cli >/dev/null; fi
ortho() { dotnet "${ORTHO_DLL:-src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll}" "$@"; }
peer() { OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/peer/variance.py "$@"; }
mkdir -p docs/data docs/img runs
# Layers 1, 2, 4, ..., 32 of MLP tables (docs/data/variance-NAME.json) as markdown: measured +- error [closed-form chain].
summary() {
    /usr/bin/python3 - "$@" <<'PY'
import json, math, sys
def num(v): return float(v) if v is not None else math.nan
def g(v):
    if not math.isfinite(v): return 'overflow' if (math.isinf(v) or math.isnan(v)) else str(v)
    return f"{v:.3g}"
for name in sys.argv[1:]:
    d = json.load(open(f'docs/data/variance-{name}.json'))
    layers = [1, 2, 4, 8, 16, 32]
    for direction in ('forward', 'backward'):
        print(f"| {direction} E[{'x' if direction=='forward' else 'g'}^2] at the activation input | " + " | ".join(f"layer {l}" for l in layers) + " |")
        print("|---|" + "---|" * len(layers))
        for p in d['profiles']:
            sites = {s['layer']: s for s in p['sites'] if s['site'] == 'act_in'}
            cells = []
            for l in layers:
                s = sites.get(l)
                if s is None: cells.append(''); continue
                v, e, q = num(s[direction]['value']), num(s[direction]['se']), num(s['predicted_' + direction])
                cells.append(f"{g(v)} ± {e:.2g} [{g(q)}]" if math.isfinite(v) else f"overflow [{g(q)}]")
            print(f"| {p['activation']} | " + " | ".join(cells) + " |")
PY
}
acts="gelu,hermite:3,fourier:5,tropical:5"
# name | flags shared by ours and the peer
measurements=(
    "mlp-lecun|--depth 32 --width 256 --weights lecun --samples 1024 --repeats 8 --seed 0 --activation $acts"
    "mlp-kaiming|--depth 32 --width 256 --weights kaiming --samples 1024 --repeats 8 --seed 0 --activation $acts"
    "gpt-128|--model gpt --layers 16 --heads 4 --embd 128 --block 128 --samples 4 --repeats 16 --seed 0 --activation $acts"
    "gpt-768|--model gpt --layers 2 --heads 12 --embd 768 --block 128 --samples 4 --repeats 8 --seed 0 --activation $acts"
)

if want variance; then
    for m in "${measurements[@]}"; do
        name="${m%%|*}"; flags="${m#*|}"
        # shellcheck disable=SC2086
        ortho variance $flags --threads "$threads" --save "docs/data/variance-$name.json" --plot "docs/img/variance-$name" > "docs/data/variance-$name.txt"
    done
    ortho variance --model gpt --input brown --layers 16 --samples 16 --repeats 4 --seed 0 --activation "$acts" --threads "$threads" \
        --save docs/data/variance-gpt-128-brown.json > docs/data/variance-gpt-128-brown.txt
    # The GPT's activations at their real input scale: moments and the paper's gains, averaged over blocks.
    /usr/bin/python3 - > docs/data/variance-gpt-gains.md <<'PY'
import json, math
def num(v): return float(v) if v is not None else math.nan
print("| model | activation | E[pre^2] (std) | E[f^2] | E[f'^2] (measured) | forward gain Var[x]/E[f^2] | backward gain Var[x]/E[f'^2] | residual E[x^2] after the last block | E[g^2] at the first block's activation input |")
print("|---|---|---|---|---|---|---|---|---|")
for name, label in (('gpt-128', 'embd 128, 16 blocks'), ('gpt-768', 'embd 768, 2 blocks'), ('gpt-128-brown', 'embd 128, 16 blocks, Brown tokens')):
    d = json.load(open(f'docs/data/variance-{name}.json'))
    for p in d['profiles']:
        L = max(s['layer'] for s in p['sites'])
        site = lambda l, n: next(s for s in p['sites'] if s['layer'] == l and s['site'] == n)
        # averages over blocks
        ins = [site(l, 'act_in') for l in range(1, L + 1)]
        outs = [site(l, 'act_out') for l in range(1, L + 1)]
        q = sum(num(s['forward']['value']) for s in ins) / L
        f2 = sum(num(s['forward']['value']) for s in outs) / L
        d2 = sum(num(a['backward']['value']) / num(b['backward']['value']) for a, b in zip(ins, outs)) / L
        res = num(site(L, 'residual')['forward']['value'])
        g1 = num(site(1, 'act_in')['backward']['value'])
        print(f"| {label} | {p['activation']} | {q:.4f} ({math.sqrt(q):.3f}) | {f2:.4f} | {d2:.4f} | {q / f2:.3f} | {q / d2:.3f} | {res:.4g} | {g1:.3g} |")
PY
    for w in lecun kaiming; do summary "mlp-$w" > "docs/data/variance-mlp-$w-summary.md"; done
    # Finite width: GELU with Kaiming weights against its chain, at three widths.
    for w in 64 256 1024; do
        ortho variance --depth 32 --width "$w" --weights kaiming --samples 256 --repeats 4 --seed 0 --activation gelu --threads "$threads" \
            --json --save "docs/data/variance-gelu-kaiming-width$w.json" > /dev/null
    done
    # The one-layer variance maps q -> c E[f(z)^2], z ~ N(0, q): value and slope at q = 1, fixed points.
    for w in lecun kaiming; do
        ortho variance --depth 1 --width 8 --samples 2 --weights "$w" --activation gelu,relu,hermite:2,hermite:3,hermite:4,hermite:5,hermite:8,fourier:3,fourier:5,tropical:3,tropical:5 \
            | grep -E '^mlp|^variance map' > "docs/data/variance-maps-$w.txt"
    done
    # Where the Hermite claim stops holding: degree x width, and the input scale around the unstable fixed point.
    for w in 64 256 1024; do
        ortho variance --depth 32 --width "$w" --samples 512 --repeats 4 --seed 0 --activation hermite:2,hermite:3,hermite:4,hermite:5,hermite:8 \
            --threads "$threads" --json --save "docs/data/variance-hermite-width$w.json" > /dev/null
    done
    for s in 0.9 1.0 1.05 1.1; do
        ortho variance --depth 32 --width 256 --samples 512 --repeats 4 --seed 0 --activation hermite:3,hermite:5 --input-std "$s" \
            --threads "$threads" --json --save "docs/data/variance-hermite-std$s.json" > /dev/null
    done
    ortho variance --depth 32 --width 256 --samples 1024 --repeats 8 --seed 0 --activation hermite:3,fourier:5 --init ones \
        --threads "$threads" --save docs/data/variance-mlp-lecun-ones.json > docs/data/variance-mlp-lecun-ones.txt
    # The wrong inits of the training runs below, at init: in the deep MLP and in the 16-block GPT.
    ortho variance --depth 32 --width 256 --samples 1024 --repeats 8 --seed 0 --activation hermite:3,fourier:5 --init unscaled \
        --threads "$threads" --save docs/data/variance-mlp-lecun-unscaled.json > docs/data/variance-mlp-lecun-unscaled.txt
    for c in "hermite:3|ones" "fourier:5|unscaled"; do
        ortho variance --model gpt --layers 16 --heads 4 --embd 128 --block 128 --samples 4 --repeats 16 --seed 0 --activation "${c%%|*}" --init "${c#*|}" \
            --threads "$threads" --save "docs/data/variance-gpt-128-${c#*|}.json" > "docs/data/variance-gpt-128-${c#*|}.txt"
    done
    # The first layer where E[pre^2] leaves the closed-form chain by a factor 10 (or overflows), per degree and width.
    /usr/bin/python3 - > docs/data/variance-hermite-sweep.md <<'PY'
import json, math, sys
def num(v):
    return float(v) if v is not None else math.nan
def first_bad(p):
    """First layer whose E[pre^2] is off the closed-form chain by more than a factor 10 (or not finite), and the last measured value."""
    for s in p['sites']:
        if s['site'] != 'act_in': continue
        v, q = num(s['forward']['value']), num(s['predicted_forward'])
        if not math.isfinite(v) or v > 10 * q or v < q / 10:
            return s['layer']
    return None
def row(path):
    d = json.load(open(path))
    return {p['activation']: first_bad(p) for p in d['profiles']}, d['profiles'][0]['settings']
print("| degree | " + " | ".join(f"width {w}" for w in (64, 256, 1024)) + " |")
print("|---|---|---|---|")
rows = {w: row(f"docs/data/variance-hermite-width{w}.json")[0] for w in (64, 256, 1024)}
for a in rows[64]:
    print(f"| {a} | " + " | ".join(str(rows[w][a] or 'none in 32') for w in (64, 256, 1024)) + " |")
print()
print("| input std | hermite:3: first layer off | its chain at layer 32 | hermite:5: first layer off | its chain at layer 32 |")
print("|---|---|---|---|---|")
for s in ('0.9', '1.0', '1.05', '1.1'):
    r, _ = row(f"docs/data/variance-hermite-std{s}.json")
    d = json.load(open(f"docs/data/variance-hermite-std{s}.json"))
    cells = []
    for p in d['profiles']:
        last = [x for x in p['sites'] if x['site'] == 'act_in'][-1]
        chain = num(last['predicted_forward'])
        cells += [str(r[p['activation']] or 'none in 32'), f"{chain:.3g}" if math.isfinite(chain) else 'overflow']
    print(f"| {s} | " + " | ".join(cells) + " |")
PY
fi

if want peer; then
    for m in "${measurements[@]}"; do
        name="${m%%|*}"; flags="${m#*|}"
        # shellcheck disable=SC2086
        peer $flags --save "docs/data/variance-peer-$name.json" > /dev/null
        peer compare "docs/data/variance-$name.json" "docs/data/variance-peer-$name.json" > "docs/data/variance-compare-$name.md"
        tail -1 "docs/data/variance-compare-$name.md"
    done
    for w in lecun kaiming; do summary "peer-mlp-$w" > "docs/data/variance-peer-mlp-$w-summary.md"; done
fi

if want train; then
    # The default LM recipe at $layers layers; --seed S seeds the init and the batches (validation batches are fixed).
    configs=("gelu|default" "hermite:3|default" "fourier:5|default" "tropical:5|default" "hermite:3|ones" "fourier:5|unscaled")
    for s in $seeds; do
        for c in "${configs[@]}"; do
            a="${c%%|*}"; init="${c#*|}"
            d="runs/depth-L$layers-${a/:/-}-$init-s$s"
            if [[ -f "$d/metrics.jsonl" ]] && grep -q '"ms_per_step"' "$d/metrics.jsonl"; then continue; fi  # finished: its final evaluation
            rm -rf "$d"
            ortho train lm --layers "$layers" --activation "$a" --activation-init "$init" --seed "$s" --steps "$steps" \
                --eval-batches "$eval_batches" --checkpoint-every 0 --threads "$threads" --no-fetch --run-dir "$d" > "$d.log" 2>&1 \
                || echo "$d: exit $? (see $d.log)"
        done
    done
    /usr/bin/python3 - "$layers" "$steps" "$seeds" "${configs[@]}" <<'PY' | tee "docs/data/depth-training-L$layers.md"
import json, math, os, re, statistics, sys
layers, steps, seeds, configs = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
rows, out = [], []
for c in configs:
    act, init = c.split('|')
    vals, notes = [], []
    for s in seeds:
        d = f"runs/depth-L{layers}-{act.replace(':', '-')}-{init}-s{s}"
        # the final evaluation: the eval line with the run's timing (the evaluations along the way have none)
        ev = [json.loads(l) for l in open(f"{d}/metrics.jsonl") if '"event"' in l and '"ms_per_step"' in l] if os.path.exists(f"{d}/metrics.jsonl") else []
        if ev and isinstance(ev[-1]['val_loss'], (int, float)):
            vals.append(ev[-1]['val_loss'])
        else:
            log = open(f"{d}.log").read() if os.path.exists(f"{d}.log") else ''
            m = re.search(r'ortho: (.*)', log)
            notes.append(f"seed {s}: {m.group(1) if m else 'no result'}")
    mean = statistics.mean(vals) if vals else math.nan
    spread = (max(vals) - min(vals)) / 2 if len(vals) > 1 else math.nan
    sd = statistics.stdev(vals) if len(vals) > 1 else math.nan
    rows.append({'activation': act, 'init': init, 'layers': int(layers), 'steps': int(steps), 'seeds': seeds, 'val_loss': vals,
                 'mean': mean, 'half_range': spread, 'sd': sd, 'failed': notes})
json.dump(rows, open(f'docs/data/depth-training-L{layers}.json', 'w'), indent=2)
print(f"| activation | init | val loss per seed ({', '.join(seeds)}) | mean | ± half range | failures |")
print("|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['activation']} | {r['init']} | {', '.join(f'{v:.4f}' for v in r['val_loss'])} | {r['mean']:.4f} | {r['half_range']:.4f} | {'; '.join(r['failed']) or '-'} |")
PY
fi
