#!/usr/bin/env bash
# The default recipes end to end, for docs/results.md, over several seeds: LM 600 steps and image 1 epoch for GELU,
# Hermite-3, Fourier-5 and Tropical-5, plus the PyTorch peer's GELU runs of the same recipes (scripts/peer, when
# Debian's python3-torch is installed: see scripts/peer/README.md). --seed S (ours) and SEED=S (the peer) seed the
# initialization and the batch order; the validation batches and the test set are the same for every seed.
# Prints a markdown table (mean and half range over the seeds, and each seed's value); run logs go to runs/results-*.
# Usage: scripts/results.sh [OUR_THREADS] [PEER_THREADS]   (defaults 2 and 1: each side's faster setting here)
# Environment (for a quick check of the script; leave unset for the table): SEEDS ("1 2 3"), LM_STEPS (600),
# IMAGE_STEPS (0: the whole epoch), EVAL_BATCHES (64), ACTS ("gelu hermite:3 fourier:5 tropical:5"), PEER (1; 0 skips it).
#   e.g. SEEDS="1 2" LM_STEPS=3 IMAGE_STEPS=2 EVAL_BATCHES=2 PEER=0 scripts/results.sh
# TRAIN=0 trains nothing and makes the table from the finished runs/results-* (e.g. after an interrupted run, or runs
# made one at a time with the same commands). The per-seed values also go to docs/data/results-seeds.json.
set -euo pipefail
cd "$(dirname "$0")/.."
th="${1:-2}"
pth="${2:-1}"
seeds="${SEEDS:-1 2 3}"
lm_steps="${LM_STEPS:-600}"
image_steps="${IMAGE_STEPS:-0}"
eval_batches="${EVAL_BATCHES:-64}"
acts="${ACTS:-gelu hermite:3 fourier:5 tropical:5}"
header="$(scripts/machine-info.sh | grep -v '^Flags')"
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
mkdir -p runs
[[ "${TRAIN:-1}" == 0 ]] && seeds_to_train="" || seeds_to_train="$seeds"
for s in $seeds_to_train; do
    for a in $acts; do
        d="runs/results-lm-${a/:/-}-s$s"; rm -rf "$d"
        ortho train lm --activation "$a" --seed "$s" --steps "$lm_steps" --eval-batches "$eval_batches" --threads "$th" --run-dir "$d" > "$d.log" 2>&1
        d="runs/results-image-${a/:/-}-s$s"; rm -rf "$d"
        length=(); [[ "$image_steps" != 0 ]] && length=(--steps "$image_steps")
        ortho train image --activation "$a" --seed "$s" "${length[@]}" --threads "$th" --run-dir "$d" > "$d.log" 2>&1
    done
done
peer_lm="" peer_img=""
if [[ "${PEER:-1}" != 0 ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    # OPENBLAS_NUM_THREADS too: Debian's OpenBLAS keeps its own pool beside torch.set_num_threads.
    epochs=1; [[ "$image_steps" != 0 ]] && epochs=$(/usr/bin/python3 -c "print($image_steps * 128 / 60000)")
    for s in $seeds; do
        peer_lm+=$(SEED="$s" OPENBLAS_NUM_THREADS="$pth" /usr/bin/python3 scripts/peer/train_gpt.py "${ORTHO_DATA:-data}/brown" gelu "$lm_steps" "$pth" | tail -1)$'\n'
        peer_img+=$(SEED="$s" OPENBLAS_NUM_THREADS="$pth" /usr/bin/python3 scripts/peer/train_convnext.py "${ORTHO_DATA:-data}/fashion-mnist" gelu "$epochs" "$pth" | tail -1)$'\n'
    done
fi
/usr/bin/python3 - "$th" "$pth" "$peer_lm" "$peer_img" "$header" "$seeds" "$lm_steps" $acts <<'PY'
import json, statistics, sys
th, pth, peer_lm, peer_img, header, seeds, lm_steps, acts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split(), sys.argv[7], sys.argv[8:]
for line in header.splitlines():  # date, commit, machine of the run (scripts/machine-info.sh, taken at its start)
    print(f"- {line}")
print()
def last(path):
    """The run's final evaluation: the eval line with the run's timing (the evaluations along the way have none)."""
    final = [json.loads(l) for l in open(path) if '"event"' in l and '"ms_per_step"' in l]
    if not final: sys.exit(f"results.sh: {path} has no final evaluation (see the run's .log)")
    return final[-1]
def stat(vals, fmt):
    """mean ± half range, then every seed's value."""
    m = statistics.mean(vals)
    half = (max(vals) - min(vals)) / 2
    return f"{fmt(m)} ± {fmt(half)} ({', '.join(fmt(v) for v in vals)})"
loss = lambda v: f"{v:.4f}"
acc = lambda v: f"{100 * v:.2f}%"
print(f"Seeds {', '.join(seeds)}: mean ± half range over the seeds (each seed's value in brackets).\n")
print(f"| activation | LM val loss ({lm_steps} steps) | LM ms/step | LM peak MiB | image test acc | image ms/step | image peak MiB |")
print("|---|---|---|---|---|---|---|")
for a in acts:
    k = a.replace(':', '-')
    lm = [last(f"runs/results-lm-{k}-s{s}/metrics.jsonl") for s in seeds]
    im = [last(f"runs/results-image-{k}-s{s}/metrics.jsonl") for s in seeds]
    print(f"| {a} | {stat([e['val_loss'] for e in lm], loss)} | {statistics.mean(e['ms_per_step'] for e in lm):.1f} | "
          f"{max(e['peak_mb'] for e in lm):.0f} | {stat([e['test_acc'] for e in im], acc)} | "
          f"{statistics.mean(e['ms_per_step'] for e in im):.1f} | {max(e['peak_mb'] for e in im):.0f} |")
if peer_lm.strip():
    p = [json.loads(l) for l in peer_lm.splitlines() if l.strip()]
    q = [json.loads(l) for l in peer_img.splitlines() if l.strip()]
    print(f"| PyTorch peer, gelu | {stat([e['val_loss'] for e in p], loss)} | {statistics.mean(1000 * e['seconds'] / e['steps'] for e in p):.1f} (incl. eval) | "
          f"| {stat([e['test_acc'] for e in q], acc)} | {statistics.mean(1000 * e['seconds'] / e['steps'] for e in q):.1f} (incl. eval) | |")
print(f"\nthreads: ours {th}, peer {pth}")
per_seed = {}
for a in acts:
    k = a.replace(':', '-')
    per_seed[a] = {"lm_val_loss": [last(f"runs/results-lm-{k}-s{s}/metrics.jsonl")['val_loss'] for s in seeds],
                   "image_test_acc": [last(f"runs/results-image-{k}-s{s}/metrics.jsonl")['test_acc'] for s in seeds]}
json.dump(per_seed, open("docs/data/results-seeds.json", "w"), indent=2)
PY
