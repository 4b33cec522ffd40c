# Sourced by the benchmark scripts: from the repository root, makes the results directory $out (the first argument, or
# bench-results/<prefix><date>), builds the CLI in Release, defines ortho() and writes the machine header there.
# Usage: source scripts/bench-setup.sh PREFIX [OUT_DIR]
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${2:-bench-results/${1}$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
dotnet build -c Release src/Ortho.Cli >/dev/null
ortho() { dotnet src/Ortho.Cli/bin/Release/net10.0/Ortho.Cli.dll "$@"; }
# The run's header for the report scripts (each `ortho bench --json` line carries cpu, cores, simd, date and commit too).
scripts/machine-info.sh > "$out/machine.txt"
