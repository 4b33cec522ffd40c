#!/usr/bin/env bash
# Where and when a measurement runs, as "key: value" lines: date (UTC), commit, memory, OS, .NET SDK, and lscpu's
# CPU model, logical CPUs and flags. scripts/bench-all.sh keeps it as machine.txt (bench-report.py reads it) and
# scripts/results.sh prints it above its table. `ortho bench` prints the same facts itself (its run header).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet HEAD 2>/dev/null; then
    echo "uncommitted: the tree had uncommitted changes"
fi
echo "memory: $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?')"
echo "os: $( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -s) ($(uname -sr))"
echo "dotnet sdk: $(dotnet --version 2>/dev/null || echo '?')"
if command -v lscpu >/dev/null 2>&1; then lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-200; fi
