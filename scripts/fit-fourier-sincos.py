#!/usr/bin/env python3
"""Fits the polynomials of src/Ortho/Activations/Fourier/FourierSinCos.cs and reports their error in float arithmetic.

On |r| <= 1/2 (the angle in half-turns, reduced modulo 1), with s = r^2:
  sin(pi r) = r (S0 + s (S1 + s (S2 + s (S3 + s S4))))   fitted for relative error
  cos(pi r) = 1 + s (K1 + s (K2 + s (K3 + s K4)))        fitted for absolute error
Near-minimax by Lawson's iteratively reweighted least squares in double on a dense grid; the coefficients are rounded to
float, and the cosine's last three are then searched within +-3 float steps for the smallest error of the float
evaluation (fused multiply-adds, each rounded once). The errors printed are of that float evaluation over 4M points.
Run: /usr/bin/python3 scripts/fit-fourier-sincos.py (needs numpy).
"""
import itertools
import numpy as np


def lawson(basis, f, weight, iterations):
    w = np.ones(len(f)) / len(f)
    for _ in range(iterations):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(basis * (sw * weight)[:, None], f * sw * weight, rcond=None)
        e = np.abs((basis @ c - f) * weight)
        w = w * e
        w /= w.sum()
    return c


def fma(a, b, c):  # a product of floats is exact in double: one rounding, as a hardware FMA
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)


def horner(coefs, s):
    q = np.full_like(s, coefs[-1])
    for cf in coefs[-2::-1]:
        q = fma(q, s, np.full_like(s, cf))
    return q


r = np.linspace(1e-6, 0.5, 20001)
s = r * r
sin_c = lawson(np.stack([s ** j for j in range(5)], 1), np.sin(np.pi * r) / r, np.ones_like(r), 400).astype(np.float32)
r = np.linspace(1e-6, 0.5, 40001)
s = r * r
g = (np.cos(np.pi * r) - 1) / s
fits = {n: lawson(np.stack([s ** j for j in range(n)], 1), g, s, 800) for n in (4, 5)}
fit_error = {n: np.max(np.abs((np.stack([s ** j for j in range(n)], 1) @ c - g) * s)) for n, c in fits.items()}
cos_c = fits[4].astype(np.float32)

rr = np.linspace(-0.5, 0.5, 4000001).astype(np.float32)
ss = (rr * rr).astype(np.float32)
exact_sin, exact_cos = np.sin(np.pi * rr.astype(np.float64)), np.cos(np.pi * rr.astype(np.float64))


def cos_error(k, x=rr, sx=ss, exact=exact_cos):
    return np.max(np.abs(fma(horner(k, sx), sx, np.ones_like(x)) - exact))


# The search runs on a coarser grid (one point in ten), then the result is measured on the whole one.
coarse = slice(None, None, 10)
best = (cos_error(cos_c, rr[coarse], ss[coarse], exact_cos[coarse]), cos_c)
for steps in itertools.product(range(-3, 4), repeat=3):
    k = cos_c.copy()
    for i, n in enumerate(steps):
        for _ in range(abs(n)):
            k[i + 1] = np.nextafter(k[i + 1], np.float32(np.inf if n > 0 else -np.inf))
    e = cos_error(k, rr[coarse], ss[coarse], exact_cos[coarse])
    if e < best[0]:
        best = (e, k)
cos_c = best[1]

sn = (horner(sin_c, ss) * rr).astype(np.float32)
nz = np.abs(exact_sin) > 1e-30
ulp = np.ldexp(1.0, np.floor(np.log2(np.abs(exact_sin[nz]))).astype(int) - 23)
print('S0..S4 =', ', '.join(f'{np.format_float_positional(v)}f' for v in sin_c))
print('K1..K4 =', ', '.join(f'{np.format_float_positional(v)}f' for v in cos_c))
print(f'sin(pi r): max error {np.max(np.abs(sn[nz] - exact_sin[nz]) / ulp):.2f} float ulps')
print(f'cos(pi r): max error {cos_error(cos_c):.3g} absolute; the fit itself in double: {fit_error[4]:.2g} '
      f'(degree 10, one more coefficient: {fit_error[5]:.2g})')
