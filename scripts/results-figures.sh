#!/usr/bin/env bash
# Pictures for docs/results.md from finished training runs (by default the runs of scripts/results.sh):
#   results-activations-lm.{png,svg}         every learnable LM activation, f and f' against GELU, a row per layer
#   results-activations-lm-layer0.{png,svg}  the first block's activation alone (one row)
#   results-activations-image.{png,svg}      the same for the image runs
#   results-activations-{lm,image}-inputs.{png,svg}  the same, each panel zoomed to its inputs (when the data is at hand)
#   results-curves-{lm,image}-{steps,time}.{png,svg}  training loss (raw + smoothed), validation loss, test accuracy
# Language-model and image runs are told apart by their config; runs without learnable activations (gelu) appear
# in the loss curves only. When the data sets are at hand ($ORTHO_DATA, else ./data) the activation pictures shade
# where each activation's inputs fall on held-out batches; otherwise N(0, 1)'s bands.
# Usage: scripts/results-figures.sh [RUN...]     (default: runs/results-lm-* runs/results-image-*)
#        IMG_DIR=/tmp/figs scripts/results-figures.sh RUN...   (write somewhere other than docs/img)
set -euo pipefail
cd "$(dirname "$0")/.."
img="${IMG_DIR:-docs/img}"
if [ $# -eq 0 ]; then set -- runs/results-lm-* runs/results-image-*; fi
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }

lm=() image=()
for run in "$@"; do
    [ -d "$run" ] || { echo "results-figures: $run is not a run directory (skipped)" >&2; continue; }
    f="$run/model.safetensors"; [ -f "$f" ] || f="$run/checkpoint.safetensors"
    [ -f "$f" ] || { echo "results-figures: $run has no model.safetensors or checkpoint.safetensors (skipped)" >&2; continue; }
    # The config in the safetensors header: an LM's names its layers ("Layers"), an image model's its stages ("Depths").
    # (grep -c reads to the end: with -q, head would die of SIGPIPE and pipefail would call it a miss.)
    if [ "$(head -c 1000000 "$f" | grep -ac 'Layers')" -gt 0 ]; then lm+=("$run"); else image+=("$run"); fi
done
[ ${#lm[@]} -gt 0 ] || [ ${#image[@]} -gt 0 ] || { echo "results-figures: no runs to draw; give run directories of 'ortho train'." >&2; exit 2; }

data=()
[ -d "${ORTHO_DATA:-data}/brown" ] && [ -d "${ORTHO_DATA:-data}/fashion-mnist" ] && data=(--data "${ORTHO_DATA:-data}")
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ortho-figures.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$img"
copy() { cp "$tmp/$1.png" "$img/$2.png"; cp "$tmp/$1.svg" "$img/$2.svg"; echo "wrote $img/$2.png, .svg"; }

figures() {  # KIND RUN...
    local kind="$1"; shift
    rm -rf "${tmp:?}"/*
    ortho plot --curves "$@" --out "$tmp" >/dev/null && copy curves-steps "results-curves-$kind-steps"
    ortho plot --curves "$@" --x time --out "$tmp" >/dev/null && copy curves-time "results-curves-$kind-time"
    # Activation pictures need at least one run with learnable activations ('ortho plot' says which have none).
    if ortho plot "$@" --reference gelu "${data[@]}" --out "$tmp" >/dev/null; then
        copy activations "results-activations-$kind"
        if [ ${#data[@]} -gt 0 ]; then  # zoomed to where each activation's inputs actually fall
            ortho plot "$@" --reference gelu --range inputs "${data[@]}" --out "$tmp" >/dev/null
            copy activations "results-activations-$kind-inputs"
        fi
        if [ "$kind" = lm ]; then
            ortho plot "$@" --reference gelu --layout per-layer "${data[@]}" --out "$tmp" >/dev/null
            copy activation-transformer.h.0.mlp.act "results-activations-lm-layer0"
        fi
    else
        echo "results-figures: no learnable activations among the $kind runs; no activation pictures." >&2
    fi
}
[ ${#lm[@]} -eq 0 ] || figures lm "${lm[@]}"
[ ${#image[@]} -eq 0 ] || figures image "${image[@]}"
