#!/usr/bin/env bash
# Regenerates every number and picture of the section "Surgery: swapping GELU for a fitted activation" in
# docs/science.md. For each task (the default LM recipe on the Brown corpus, the default image recipe on
# Fashion-MNIST): train a GELU model (seed 1), swap its GELUs with 'ortho swap' for Hermite 4/6/8/12, Fourier 5/8 and
# Tropical 8 (each layer fitted over its own inputs on 4 training batches, clamp auto; Hermite-8 also with the clamp
# forced on and off), evaluate every swapped model
# before any training, then fine-tune the Hermite-8 swap for 200 steps and continue the GELU model for the same 200
# steps with the same recipe, over seeds 1-3. Validation loss is 'ortho eval' on the whole Brown validation split
# (nats per byte); accuracy is on the 10,000 Fashion-MNIST test images. Runs go to runs/science-surgery/ (finished ones
# are reused: delete the directory to start over); tables and raw numbers to docs/data/surgery-*; fit pictures to
# docs/img/surgery-*. Needs the data under $ORTHO_DATA (default ./data; scripts/fetch-data.sh). About 45 minutes on
# 2 busy cores. Usage: scripts/science-surgery.sh [lm|image|all] (default all); THREADS=N (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
th="${THREADS:-2}"
export ORTHO_DATA="${ORTHO_DATA:-$PWD/data}"
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
out=runs/science-surgery
mkdir -p "$out" docs/data docs/img
swaps="hermite:4 hermite:6 hermite:8 hermite:12 fourier:5 fourier:8 tropical:8"
seeds="1 2 3"
steps=200

# train DIR TASK FLAGS...: a run, unless DIR holds a finished one.
train() {
    local dir=$1 task=$2
    shift 2
    if [ -f "$dir/model.safetensors" ] && grep -q '"final":true' "$dir/metrics.jsonl" 2>/dev/null; then return; fi
    echo "   train $task -> $dir"
    ortho train "$task" "$@" --run-dir "$dir" --overwrite --threads "$th" --no-fetch --eval-every 0 > "$dir.log" 2>&1
}

# evaluate MODEL: its 'ortho eval --json' line into MODEL.eval.json (once).
evaluate() {
    local model=$1 json="${1%.safetensors}.eval.json"
    [ -s "$json" ] || ortho eval "$model" --json --threads "$th" --no-fetch > "$json"
}

surgery() {
    local task=$1 lr=$2 minlr=$3
    local base="$out/$task-gelu"
    echo "== $task: GELU model (default recipe, seed 1)"
    train "$base" "$task" --activation gelu --seed 1
    evaluate "$base"
    echo "== $task: swaps (each layer fitted over its inputs on 4 training batches)"
    for a in $swaps; do
        local f="$out/$task-${a/:/}.safetensors"
        if [ ! -f "$f" ]; then
            if [ "$a" = hermite:8 ]; then plot=(--plot "$out/$task-plots"); else plot=(); fi
            ortho swap "$base" --activation "$a" --out "$f" --threads "$th" --no-fetch "${plot[@]}" > "${f%.safetensors}.swap.txt"
        fi
        evaluate "$f"
    done
    for c in on off; do # Hermite-8 with the clamp forced on and off, beside auto's choice
        local f="$out/$task-hermite8-clamp$c.safetensors"
        [ -f "$f" ] || ortho swap "$base" --activation hermite:8 --clamp $c --out "$f" --threads "$th" --no-fetch > "${f%.safetensors}.swap.txt"
        evaluate "$f"
    done
    cp "$out/$task-hermite8.swap.txt" "docs/data/surgery-$task-hermite8-swap.txt"
    cp "$out/$task-plots/swap-fits.png" "docs/img/surgery-$task-fits.png"
    cp "$out/$task-plots/swap-fits.svg" "docs/img/surgery-$task-fits.svg"
    echo "== $task: $steps fine-tuning steps (lr $lr -> $minlr, warmup 20), Hermite-8 swap vs GELU continued, seeds $seeds"
    for s in $seeds; do
        for start in gelu hermite8; do
            local init="$base" d="$out/$task-ft-$start-s$s"
            [ $start = gelu ] || init="$out/$task-hermite8.safetensors"
            train "$d" "$task" --init-from "$init" --steps $steps --lr "$lr" --min-lr "$minlr" --warmup 20 --seed "$s" --data-seed $((100 + s))
            evaluate "$d"
        done
    done
}

# The LM's fine-tuning rate, checked on seed 1: a tenth and the whole of the recipe's peak beside the 0.3 x used.
lm_rates() {
    echo "== lm: fine-tuning rate, seed 1"
    for lr in 1e-4 1e-3; do
        for start in gelu hermite8; do
            local init="$out/lm-gelu" d="$out/lm-ft-$start-s1-lr$lr"
            [ $start = gelu ] || init="$out/lm-hermite8.safetensors"
            train "$d" lm --init-from "$init" --steps $steps --lr "$lr" --min-lr "$(/usr/bin/python3 -c "print($lr / 10)")" --warmup 20 --seed 1 --data-seed 101
            evaluate "$d"
        done
    done
}

if [ "$what" = lm ] || [ "$what" = all ]; then surgery lm 3e-4 3e-5; lm_rates; fi
if [ "$what" = image ] || [ "$what" = all ]; then surgery image 6e-4 0; fi

/usr/bin/python3 - "$out" "$what" "$th" "$steps" $swaps <<'PY'
import json, os, statistics, struct, sys
out, what, th, steps, swaps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]

def ev(path):
    return json.load(open(path.removesuffix(".safetensors") + ".eval.json"))

def report(model):  # the per-layer swap report 'ortho swap' stores in the model file's metadata
    with open(model, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(json.loads(f.read(n))["__metadata__"]["swap"])

def stats(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0), min(xs), max(xs)

for task in (["lm", "image"] if what == "all" else [what]):
    lm = task == "lm"
    metric = (lambda e: e["nats_per_byte"]) if lm else (lambda e: 100 * e["accuracy"])
    name, unit = ("validation loss", "nats/byte") if lm else ("test accuracy", "%")
    base = metric(ev(f"{out}/{task}-gelu"))
    digits = 5 if lm else 2
    rows, data = [], {"task": task, "threads": int(th), "metric": f"{name} ({unit})", "gelu": base, "swaps": {}, "fine_tune": {}}
    lines = [f"### {task}: swapped before any training", "",
             f"| activation | clamp | worst layer rms\\|f-g\\| | worst layer rms\\|f'-g'\\| | output change (rms, % of rms) | {name} ({unit}) | vs GELU |",
             "|---|---|---|---|---|---|---|",
             f"| gelu (original) | | | | | {base:.{digits}f} | |"]
    for a in swaps + ["hermite:8 --clamp on", "hermite:8 --clamp off"]:
        k = a.replace(":", "").replace(" --clamp ", "-clamp")
        r, v = report(f"{out}/{task}-{k}.safetensors"), metric(ev(f"{out}/{task}-{k}.safetensors"))
        rel = 100 * (v - base) / base if lm else v - base
        data["swaps"][a] = {"value": v, "report": r}
        worst = max(r["layers"], key=lambda l: l["rms_error"])
        worst_d = max(r["layers"], key=lambda l: l["rms_derivative_error"])
        lines.append(f"| {r['activation']}{' (' + a.split(' ', 1)[1] + ')' if ' ' in a else ''} | {'yes' if 'clamp' in r['activation'] else 'no'} | {worst['rms_error']:.2e} | {worst_d['rms_derivative_error']:.2e} | "
                     f"{100 * r['output_change_rms'] / r['output_rms']:.3f}% | {v:.{digits}f} | {rel:+.{4 if lm else 2}f}{'%' if lm else ' points'} |")
    lines += ["", f"### {task}: {steps} more steps, Hermite-8 swap vs GELU continued (seeds 1-3)", "",
              f"| start | seed 1 | seed 2 | seed 3 | mean | std | min | max |", "|---|---|---|---|---|---|---|---|"]
    for start in ["gelu", "hermite8"]:
        vs = [metric(ev(f"{out}/{task}-ft-{start}-s{s}")) for s in (1, 2, 3)]
        m, sd, lo, hi = stats(vs)
        data["fine_tune"][start] = vs
        lines.append(f"| {'GELU continued' if start == 'gelu' else 'Hermite-8 swap'} | " + " | ".join(f"{v:.{digits}f}" for v in vs) + f" | {m:.{digits}f} | {sd:.{digits}f} | {lo:.{digits}f} | {hi:.{digits}f} |")
    g, h = data["fine_tune"]["gelu"], data["fine_tune"]["hermite8"]
    diffs = [b - a for a, b in zip(g, h)]
    m, sd, lo, hi = stats(diffs)
    data["fine_tune"]["paired_difference"] = diffs
    lines.append(f"| Hermite-8 minus GELU, paired by seed | " + " | ".join(f"{d:+.{digits}f}" for d in diffs) + f" | {m:+.{digits}f} | {sd:.{digits}f} | {lo:+.{digits}f} | {hi:+.{digits}f} |")
    if lm:
        lines += ["", "### lm: fine-tuning rate (seed 1; min lr = peak / 10)", "", "| peak lr | GELU continued | Hermite-8 swap |", "|---|---|---|"]
        data["rates"] = {}
        for lr in ["1e-4", "3e-4", "1e-3"]:
            suffix = "" if lr == "3e-4" else f"-lr{lr}"
            a, b = metric(ev(f"{out}/lm-ft-gelu-s1{suffix}")), metric(ev(f"{out}/lm-ft-hermite8-s1{suffix}"))
            data["rates"][lr] = {"gelu": a, "hermite8": b}
            lines.append(f"| {lr} | {a:.5f} | {b:.5f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    open(f"docs/data/surgery-{task}.md", "w").write(text)
    json.dump(data, open(f"docs/data/surgery-{task}.json", "w"), indent=1)
PY
