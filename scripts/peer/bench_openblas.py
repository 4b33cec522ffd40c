#!/usr/bin/python3
"""SGEMM throughput of NumPy/OpenBLAS on the shapes of `ortho bench gemm` (src/Ortho.Cli/Bench/GemmBench.cs).

Prints one JSON object per line, the same fields as `ortho bench gemm --json` plus "peer":"openblas" and
"arch" (the OpenBLAS kernel that ran):
    {"case":"square","m":1024,"n":1024,"k":1024,"transA":false,"transB":false,"threads":1,"gflops":..,"peer":"openblas","arch":".."}

Setup (Debian): apt-get install -y python3-numpy libopenblas0-pthread [python3-threadpoolctl]; run with /usr/bin/python3.
Threads: --threads 1,2 (needs threadpoolctl to switch within one run); without threadpoolctl the count
comes from OPENBLAS_NUM_THREADS as set by the caller.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's environment before NumPy loads
(some machines set them for old OpenBLAS builds, and they slow a current one). If OpenBLAS then detects
only a generic x86 kernel (an OpenBLAS release older than the CPU falls back to e.g. "Prescott"), the
script runs itself again with the best kernel the CPU's flags support (SkylakeX for AVX-512, Haswell for
AVX2), so the peer is measured at its real speed; --no-coretype-fix disables that. The kernel used is
printed on stderr and in each line's "arch".
"""
import argparse
import json
import os
import statistics
import sys
import time

# Must happen before NumPy (and so OpenBLAS) is loaded.
_FIXED = os.environ.get("ORTHO_BENCH_CORETYPE_FIX")
if not _FIXED:
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np  # noqa: E402

try:
    from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402
except ImportError:  # pragma: no cover
    threadpool_info = None
    threadpool_limits = None

GENERIC_KERNELS = {"prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington",
                   "nehalem", "atom", "generic", "unknown"}


def shapes():
    rows = 2048
    out = [("square", 1024, 1024, 1024, False, False), ("square", 2048, 2048, 2048, False, False)]
    for name, cin, cout in [("attn.c_attn", 128, 384), ("attn.c_proj", 128, 128),
                            ("mlp.c_fc", 128, 512), ("mlp.c_proj", 512, 128)]:
        out.append((f"{name}.fwd", rows, cout, cin, False, True))   # y = x W^T
        out.append((f"{name}.dx", rows, cin, cout, False, False))   # dx = dy W
        out.append((f"{name}.dW", cout, cin, rows, True, False))    # dW = dy^T x
    return out


def openblas_arch():
    if threadpool_info is None:
        return "unknown"
    for lib in threadpool_info():
        if lib.get("internal_api") == "openblas":
            return lib.get("architecture") or "unknown"
    return "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def maybe_rerun_with_coretype(args):
    arch = openblas_arch()
    if _FIXED or args.no_coretype_fix or arch.lower() not in GENERIC_KERNELS:
        return
    flags = cpu_flags()
    core = "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None
    if core is None:
        return
    print(f"bench_openblas: OpenBLAS picked the generic kernel {arch!r} on this CPU; "
          f"running again with OPENBLAS_CORETYPE={core}", file=sys.stderr)
    env = dict(os.environ, OPENBLAS_CORETYPE=core, ORTHO_BENCH_CORETYPE_FIX="1")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def measure(case, m, n, k, ta, tb, warmup):
    rng = np.random.default_rng(1234)
    a = (rng.random((k, m) if ta else (m, k), dtype=np.float32) * 2 - 1)
    b = (rng.random((n, k) if tb else (k, n), dtype=np.float32) * 2 - 1)
    c = np.zeros((m, n), dtype=np.float32)
    opa = a.T if ta else a  # views: OpenBLAS receives the transpose flag, nothing is copied
    opb = b.T if tb else b
    flops = 2.0 * m * n * k
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < warmup or calls < 2:
        np.matmul(opa, opb, out=c)
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    batch = int(min(max(0.06 / per_call, 1), 1_000_000))
    rates = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(batch):
            np.matmul(opa, opb, out=c)
        rates.append(flops * batch / (time.perf_counter() - t) / 1e9)
    return statistics.median(rates)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default=None, help="comma-separated thread counts (threadpoolctl), e.g. 1,2")
    p.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up per shape")
    p.add_argument("--no-coretype-fix", action="store_true", help="keep the kernel OpenBLAS detects")
    args = p.parse_args()
    maybe_rerun_with_coretype(args)
    arch = openblas_arch()
    print(f"bench_openblas: numpy {np.__version__}, OpenBLAS kernel {arch}", file=sys.stderr)

    if args.threads:
        counts = [int(t) for t in args.threads.split(",")]
        if threadpool_limits is None and len(counts) > 1:
            sys.exit("bench_openblas: several thread counts need threadpoolctl (apt-get install python3-threadpoolctl)")
    else:
        counts = [int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or os.cpu_count() or 1]

    for case, m, n, k, ta, tb in shapes():
        first = True
        for t in counts:
            if threadpool_limits is not None:
                with threadpool_limits(limits=t, user_api="blas"):
                    g = measure(case, m, n, k, ta, tb, args.warmup if first else 0.1)
            else:
                g = measure(case, m, n, k, ta, tb, args.warmup if first else 0.1)
            first = False
            print(json.dumps({"case": case, "m": m, "n": n, "k": k, "transA": ta, "transB": tb, "threads": t,
                              "gflops": round(g, 1), "peer": "openblas", "arch": arch},
                             separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
