#!/usr/bin/env bash
# Regenerates every number and picture of the section "Networks as polynomial maps" in docs/science.md:
# small MLPs trained with 'ortho mlp train', expanded with 'ortho polynomial' (Hermite) and cut into linear regions
# with 'ortho regions' (tropical). Models and full outputs go to runs/science-polynomial/; pictures to docs/img/.
# Needs Fashion-MNIST under $ORTHO_DATA (default ./data; scripts/fetch-data.sh). Everything is seeded: reruns print
# the same numbers. Takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
out=runs/science-polynomial
img=docs/img
mkdir -p "$out" "$img"

echo "== 1. y = x0*x1 - x2^2 + 0.5 learned by a 3-8-1 Hermite-2 MLP, read back as a polynomial"
ortho mlp train --task quadratic --hidden 8 --activation hermite:2 --out "$out/quadratic.safetensors"
ortho polynomial "$out/quadratic.safetensors" --top 0
ortho polynomial "$out/quadratic.safetensors" --format json > "$out/quadratic.json"

echo "== 2. Fashion-MNIST (classes 0 T-shirt, 1 trouser, 5 sandal, 8 bag) on 4 principal components, Hermite-2, depth 1-3"
for h in 16 16,16 16,16,16; do
    f="$out/fashion-hermite-${h//,/-}.safetensors"
    ortho mlp train --task fashion --classes 0,1,5,8 --pca 4 --hidden "$h" --activation hermite:2 --steps 600 --batch 256 --lr 0.01 --out "$f"
    ortho polynomial "$f" --top 8 | tee "$out/fashion-hermite-${h//,/-}.txt" | grep -E "^(mlp|output)"
    ortho polynomial "$f" --format json > "${f%.safetensors}.json"
    # Output 0 (T-shirt) by total degree: how many terms, and how large.
    /usr/bin/python3 - "${f%.safetensors}.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["outputs"][0]["coefficients"]
for d in sorted({sum(t["exponents"]) for t in c}):
    a = [abs(t["coefficient"]) for t in c if sum(t["exponents"]) == d]
    print(f"   degree {d}: {len(a):3d} terms, max |c| {max(a):.3g}, sum |c| {sum(a):.3g}")
PY
done
echo "-- the depth-1 model's class polynomials, largest terms first:"
cat "$out/fashion-hermite-16.txt"
echo "-- 8 components and two Hermite-4 layers: refused (total degree 16)"
f="$out/fashion-hermite4-8pc.safetensors"
ortho mlp train --task fashion --classes 0,1,5,8 --pca 8 --hidden 16,16 --activation hermite:4 --steps 600 --batch 256 --lr 0.003 --out "$f"
ortho polynomial "$f" || true

echo "== 3. Tropical networks on Fashion-MNIST's first 2 principal components (same classes): exact linear regions"
for act in tropical:3 tropical_rational:2 relu; do
    k=${act/:/}
    for stage in init trained; do
        f="$out/fashion-$k-$stage.safetensors"
        if [ $stage = init ]; then steps=1 lr=0; else steps=1500 lr=0.01; fi
        ortho mlp train --task fashion --classes 0,1,5,8 --pca 2 --hidden 8,8 --activation "$act" --steps $steps --batch 256 --lr $lr --out "$f"
        ortho regions "$f" --slice 0,1 --range -3,3 --line -3,-3 --to 3,3 --sample 400 --out "$out/pics-$k-$stage"
    done
    cp "$out/pics-$k-trained/regions-slice.png" "$img/regions-$k.png"
    cp "$out/pics-$k-trained/regions-slice.svg" "$img/regions-$k.svg"
done
cp "$out/pics-tropical3-trained/regions-line.png" "$img/regions-line-tropical3.png"
cp "$out/pics-tropical3-trained/regions-line.svg" "$img/regions-line-tropical3.svg"
