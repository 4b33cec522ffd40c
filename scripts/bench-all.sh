#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one run, ours and the peers' side by side, on this machine.
# Usage: scripts/bench-all.sh [OUT_DIR]   (default bench-results/<date>). The peer columns need the PyTorch peer of
# scripts/peer/README.md (apt-get install -y python3-torch python3-numpy libopenblas0-pthread python3-threadpoolctl).
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh" "" "${1:-}"
echo "== gemm";        ortho bench gemm --json --threads 1,2 | tee "$out/gemm.jsonl"
echo "== openblas";    /usr/bin/python3 scripts/peer/bench_openblas.py --threads 1,2 | tee "$out/gemm-openblas.jsonl" || true
echo "== activations"; ortho bench activations --json --threads 1,2 | tee "$out/activations.jsonl"
echo "== torch";       /usr/bin/python3 scripts/peer/bench_torch_activations.py --threads 1,2 | tee "$out/activations-torch.jsonl" || true
echo "== dispatch";    ortho bench dispatch --json | tee "$out/dispatch.jsonl"
echo "== kernels";     ortho bench kernels --json --threads 1,2 | tee "$out/kernels.jsonl"
echo "== attention";   ortho bench attention --json --threads 1,2 | tee "$out/attention.jsonl"
echo "== conv";        ortho bench conv --json --threads 1,2 | tee "$out/conv.jsonl"
echo "== train lm";    ortho bench train --task lm --activation gelu,hermite:3,fourier:5,tropical:5 --threads 1,2 --json | tee "$out/train-lm.jsonl"
echo "== train image"; ortho bench train --task image --activation gelu,hermite:3,fourier:5,tropical:5 --threads 1,2 --json | tee "$out/train-image.jsonl"
echo "== train profile"; ortho bench train --task lm --profile --threads 1,2 --steps 10 --json | tee "$out/train-profile.jsonl"
# The ladder's small sizes with GELU; scripts/bench-ladder.sh runs every preset (GPT-2 124M and ConvNeXt-T included)
# with the learnable activations too, ours and the peer's (about 40 minutes).
echo "== train ladder"
{ ortho bench train --task lm --preset default,small --threads 1,2 --steps 3 --json
  ortho bench train --task image --preset default,small --threads 1,2 --steps 3 --json; } | tee "$out/train-ladder.jsonl"
# The PyTorch peer (scripts/peer/README.md). OPENBLAS_NUM_THREADS too: Debian's OpenBLAS keeps its own thread pool, so
# torch.set_num_threads(1) alone still runs the GEMMs on 2 threads.
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "== torch ladder"
    { /usr/bin/python3 scripts/peer/bench_ladder.py --task lm --preset default,small --threads 1,2 --steps 3
      /usr/bin/python3 scripts/peer/bench_ladder.py --task image --preset default,small --threads 1,2 --steps 3; } | tee "$out/train-ladder-peer.jsonl" || true
    echo "== torch lm step"
    for t in 1 2; do for a in gelu hermiterec3; do OPENBLAS_NUM_THREADS=$t /usr/bin/python3 scripts/peer/bench_gpt.py $a $t 10; done; done | tee "$out/train-lm-torch.txt" || true
    if [ -d data/fashion-mnist ]; then
        echo "== torch image step"
        for t in 1 2; do echo "$t $(OPENBLAS_NUM_THREADS=$t /usr/bin/python3 scripts/peer/train_convnext.py data/fashion-mnist gelu 1 $t --bench)"; done | tee "$out/train-image-torch.txt" || true
    fi
fi
/usr/bin/python3 scripts/bench-report.py "$out" > "$out/benchmarks.md" && echo "report: $out/benchmarks.md (copy to docs/benchmarks.md)"
echo "results in $out"
