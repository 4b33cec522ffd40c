#!/usr/bin/env bash
# The default recipes end to end, for docs/results.md: LM 600 steps and image 1 epoch for GELU, Hermite-3,
# Fourier-5 and Tropical-5, plus the PyTorch peer's GELU runs of the same recipes (scripts/peer, when Debian's
# python3-torch is installed: see scripts/peer/README.md). Prints a markdown table; run logs go to runs/results-*.
# Usage: scripts/results.sh [OUR_THREADS] [PEER_THREADS]   (defaults 2 and 1: each side's faster setting here)
set -euo pipefail
cd "$(dirname "$0")/.."
th="${1:-2}"
pth="${2:-1}"
header="$(scripts/machine-info.sh | grep -v '^Flags')"
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
acts="gelu hermite:3 fourier:5 tropical:5"
mkdir -p runs
for a in $acts; do
    d="runs/results-lm-${a/:/-}"; rm -rf "$d"
    ortho train lm --activation "$a" --threads "$th" --run-dir "$d" > "$d.log" 2>&1
    d="runs/results-image-${a/:/-}"; rm -rf "$d"
    ortho train image --activation "$a" --threads "$th" --run-dir "$d" > "$d.log" 2>&1
done
peer_lm="" peer_img=""
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    # OPENBLAS_NUM_THREADS too: Debian's OpenBLAS keeps its own pool beside torch.set_num_threads.
    peer_lm=$(OPENBLAS_NUM_THREADS="$pth" /usr/bin/python3 scripts/peer/train_gpt.py data/brown gelu 600 "$pth" | tail -1)
    peer_img=$(OPENBLAS_NUM_THREADS="$pth" /usr/bin/python3 scripts/peer/train_convnext.py data/fashion-mnist gelu 1 "$pth" | tail -1)
fi
/usr/bin/python3 - "$th" "$pth" "$peer_lm" "$peer_img" "$header" $acts <<'PY'
import json, sys
th, pth, peer_lm, peer_img, header, acts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
for line in header.splitlines():  # date, commit, machine of the run (scripts/machine-info.sh, taken at its start)
    print(f"- {line}")
print()
def last(path):
    return [json.loads(l) for l in open(path) if '"event"' in l][-1]
print(f"| activation | LM val loss (600 steps) | LM ms/step | LM peak MiB | image test acc (1 epoch) | image ms/step | image peak MiB |")
print("|---|---|---|---|---|---|---|")
for a in acts:
    k = a.replace(':', '-')
    lm, im = last(f"runs/results-lm-{k}/metrics.jsonl"), last(f"runs/results-image-{k}/metrics.jsonl")
    print(f"| {a} | {lm['val_loss']:.4f} | {lm['ms_per_step']:.1f} | {lm['peak_mb']:.0f} | {100*im['test_acc']:.2f}% | {im['ms_per_step']:.1f} | {im['peak_mb']:.0f} |")
if peer_lm:
    p = json.loads(peer_lm); q = json.loads(peer_img)
    print(f"| PyTorch peer, gelu | {p['val_loss']:.4f} | {1000*p['seconds']/p['steps']:.1f} (incl. eval) | | {100*q['test_acc']:.2f}% | {1000*q['seconds']/q['steps']:.1f} (incl. eval) | |")
print(f"\nthreads: ours {th}, peer {pth}")
PY
