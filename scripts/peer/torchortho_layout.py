"""torchortho 0.1.2's module layout for the peer's load checks: the same parameter and buffer names, shapes, dtypes and
nesting as its activations, and their functions written from the paper's formulas (this file is the project's own,
not torchortho's code). With TORCHORTHO naming a directory that holds the real `torchortho` package, `make` builds the
real modules instead.

Layout (state-dict keys below the activation):
  HermiteActivation(n, use_numba, clamp): coefficients [n+1]; buffers normalization_term [n+1] float32 (0!..n!, only
      with use_numba=True), coeffs [n+1, n//2+1] float32 (coefficient of x^grid in He_k/k!), grid [n+1, n//2+1] int64;
      with clamp=True a submodule `clamp` with the 0-dim parameter lim_val (init sqrt(3)): x <- (sigmoid(x) - 1/2) 2L.
  FourierActivation(n): fundamental [1], coefficients [n], phases [n], grid [n]; buffer normalization_term [n] (1!..n!).
  TropicalActivation(n): coefficients [n+1]; buffer powers [n+1] int64 (0..n).
  TropicalRationalActivation(n): powers_num, powers_denom, coefficients_num, coefficients_denom [n+1]."""
import math, os, sys
import torch, torch.nn as nn


def _factorials(first, last):
    return torch.tensor([float(math.factorial(k)) for k in range(first, last + 1)], dtype=torch.float32)


class LearnableClamp(nn.Module):
    def __init__(s):
        super().__init__()
        s.lim_val = nn.Parameter(torch.tensor(math.sqrt(3.0)))   # 0-dim

    def forward(s, x):
        return (torch.sigmoid(x) - 0.5) * 2.0 * s.lim_val


class HermiteActivation(nn.Module):
    """f(x) = sum_k a_k He_k(x)/k!, evaluated from the monomial tables coeffs/grid (the buffers the state dict carries)."""
    def __init__(s, n, use_numba=False, clamp=False):
        super().__init__()
        a = torch.full((n + 1,), math.exp(-0.5))
        a[0] = math.exp(-0.5) * math.sqrt(1 - 1 / math.factorial(n))
        s.coefficients = nn.Parameter(a)
        if use_numba:
            s.register_buffer('normalization_term', _factorials(0, n))
        w = n // 2 + 1
        coeffs, grid = torch.zeros(n + 1, w), torch.zeros(n + 1, w, dtype=torch.long)
        for k in range(n + 1):
            for j in range(k // 2 + 1):   # He_k/k! = sum_j (-1)^j x^(k-2j) / (j! (k-2j)! 2^j)
                coeffs[k, j] = (-1) ** j / (math.factorial(j) * math.factorial(k - 2 * j) * 2 ** j)
                grid[k, j] = k - 2 * j
        s.register_buffer('coeffs', coeffs)
        s.register_buffer('grid', grid)
        s.clamp = LearnableClamp() if clamp else None

    def forward(s, x):
        if s.clamp is not None:
            x = s.clamp(x)
        phi = (torch.pow(x[..., None, None], s.grid) * s.coeffs).sum(-1)   # [..., n+1]: He_k(x)/k!
        return phi @ s.coefficients


class FourierActivation(nn.Module):
    """f(x) = f0 + sum_k c_k cos(w_k x - p_k) / normalization_term[k]."""
    def __init__(s, n):
        super().__init__()
        c = 1 / math.sqrt(sum(1 / math.factorial(k) ** 2 for k in range(40)))
        s.fundamental = nn.Parameter(torch.tensor([c * math.sqrt(1 - 1 / math.factorial(n) ** 2)]))
        s.coefficients = nn.Parameter(torch.full((n,), c))
        s.phases = nn.Parameter(torch.full((n,), math.pi / 4))
        s.grid = nn.Parameter(torch.arange(1, n + 1, dtype=torch.float32))
        s.register_buffer('normalization_term', _factorials(1, n))

    def forward(s, x):
        t = torch.cos(s.grid * x[..., None] - s.phases) / s.normalization_term
        return (t * s.coefficients).sum(-1) + s.fundamental


class TropicalActivation(nn.Module):
    """f(x) = (sqrt(2)/n) max_k (powers_k x + a_k)."""
    def __init__(s, n):
        super().__init__()
        s.n = n
        s.coefficients = nn.Parameter(torch.ones(n + 1))
        s.register_buffer('powers', torch.arange(n + 1))

    def forward(s, x):
        return math.sqrt(2) / s.n * (x[..., None] * s.powers + s.coefficients).max(-1)[0]


class TropicalRationalActivation(nn.Module):
    """f(x) = max_k (p_k x + a_k) - max_k (q_k x + b_k)."""
    def __init__(s, n):
        super().__init__()
        s.powers_num, s.powers_denom = nn.Parameter(torch.randn(n + 1)), nn.Parameter(torch.randn(n + 1))
        s.coefficients_num, s.coefficients_denom = nn.Parameter(torch.randn(n + 1)), nn.Parameter(torch.randn(n + 1))

    def forward(s, x):
        x = x[..., None]
        return (x * s.powers_num + s.coefficients_num).max(-1)[0] - (x * s.powers_denom + s.coefficients_denom).max(-1)[0]


def parse(spec):
    """(kind, degree, clamp) of an activation in Ortho's spelling (hermite:8+clamp) or the peer's (hermiteclamp8);
    (name, 0, False) for a classic one."""
    s = spec.strip().lower()
    head, *options = s.split('+')
    kind, _, deg = head.partition(':')
    if not deg:
        stripped = head.rstrip('0123456789')
        kind, deg = stripped, head[len(stripped):]
    if kind == 'hermiteclamp':
        kind, options = 'hermite', options + ['clamp']
    if not deg:
        return kind, 0, False
    unknown = set(options) - {'clamp'}
    if unknown or (options and kind != 'hermite'):
        raise ValueError(f'activation {spec!r}: unknown option(s) {sorted(unknown or set(options))}')
    return kind, int(deg), bool(options)


def real_torchortho():
    """The real torchortho package when TORCHORTHO names a directory holding it, else None."""
    root = os.environ.get('TORCHORTHO')
    if not root:
        return None
    sys.path.insert(0, root)
    import torchortho
    return torchortho


def make(kind, degree, clamp=False, use_numba=False):
    """One activation module with torchortho's layout (the real one when TORCHORTHO is set)."""
    lib = real_torchortho()
    if kind == 'hermite':
        return (lib.HermiteActivation if lib else HermiteActivation)(degree, use_numba=use_numba, clamp=clamp)
    cls = {'fourier': 'FourierActivation', 'tropical': 'TropicalActivation', 'tropical_rational': 'TropicalRationalActivation'}[kind]
    return getattr(lib, cls)(degree) if lib else globals()[cls](degree)
