#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one run, ours and the peers' side by side, on this machine.
# Usage: scripts/bench-all.sh [OUT_DIR]   (default bench-results/<date>); needs python3-torch and python3-numpy
# (apt-get install -y python3-torch python3-numpy libopenblas0-pthread) for the peer columns.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench-results/$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
{ uname -a; lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-200; dotnet --version; } > "$out/machine.txt"
echo "== gemm";        ortho bench gemm --json --threads 1,2 | tee "$out/gemm.jsonl"
echo "== openblas";    /usr/bin/python3 scripts/bench_openblas.py --threads 1,2 | tee "$out/gemm-openblas.jsonl" || true
echo "== activations"; ortho bench activations --json --threads 1,2 | tee "$out/activations.jsonl"
echo "== torch";       /usr/bin/python3 scripts/bench_torch_activations.py --threads 1,2 | tee "$out/activations-torch.jsonl" || true
echo "== kernels";     ortho bench kernels --json --threads 1,2 | tee "$out/kernels.jsonl"
echo "== attention";   ortho bench attention --json --threads 1,2 | tee "$out/attention.jsonl"
echo "== conv";        ortho bench conv --json --threads 1,2 | tee "$out/conv.jsonl"
echo "== train lm";    ortho bench train --task lm --activation gelu,hermite:3,fourier:5,tropical:5 --threads 1,2 --json | tee "$out/train-lm.jsonl"
echo "== train image"; ortho bench train --task image --activation gelu,hermite:3,fourier:5,tropical:5 --threads 1,2 --json | tee "$out/train-image.jsonl"
ref=../shared/reference
if [ -d "$ref" ]; then
    echo "== torch lm step"
    for t in 1 2; do for a in gelu hermiterec3; do /usr/bin/python3 "$ref/bench_gpt.py" $a $t 10; done; done | tee "$out/train-lm-torch.txt" || true
    if [ -d data/fashion-mnist ]; then
        echo "== torch image step"
        for t in 1 2; do echo "$t $(/usr/bin/python3 "$ref/train_convnext.py" data/fashion-mnist gelu 1 $t --bench)"; done | tee "$out/train-image-torch.txt" || true
    fi
fi
/usr/bin/python3 scripts/bench-report.py "$out" > "$out/benchmarks.md" && echo "report: $out/benchmarks.md (copy to docs/benchmarks.md)"
echo "results in $out"
