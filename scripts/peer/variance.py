"""The PyTorch peer of `ortho variance`: second moments forward and backward through depth at initialization.

Same protocol and formulas as src/Ortho/Analysis/Variance (written again here from the formulas, not translated):
  mlp: x ~ N(0, s^2) [samples, width]; pre_l = h_{l-1} W_l^T (no bias), W_l ~ N(0, c/width) (c = 1 LeCun, 2 Kaiming);
       h_l = f(pre_l), each layer its own activation module; loss = sum(h_L * r), r ~ N(0, 1).
  gpt: scripts/peer/gpt.py's GPT with its own init; the residual stream entering block 1 is N(0, s^2) (or Brown
       validation windows through the embeddings); sites per block: c_fc output (act_in), activation output
       (act_out), block output (residual); loss = sum(x_L * r).
Per site: E[x^2] and E[g^2] as the mean of the per-sample (per-row) means, their standard error over the rows, and
with --repeats R >= 2 the standard error over repeats (new weights and inputs each). Closed-form predictions: the
activation's E[f^2] and E[f'^2] under N(0, q) (Gauss-Hermite quadrature, exact for Hermite; Fourier in closed form;
piecewise-linear kinds integrated exactly with the normal distribution function), chained from the input / top.

Activations (torchortho is not needed): gelu, gelu_tanh, relu, silu, tanh, sigmoid, hermite:N (sum a_k He_k/k! by the
three-term recurrence), fourier:N (f0 + sum c_k cos(w_k x - p_k)/k!), tropical:N ((sqrt 2/N) max_k (k x + a_k)),
tropical_rational:N (max_k (p_k x + a_k) - max_k (q_k x + b_k), all N(0, 1)); --init default|ones|unscaled|scale:S.

Usage:
  variance.py [--model mlp|gpt] [--activation gelu,hermite:3,...] [--depth 32] [--width 256] [--weights lecun]
              [--samples N] [--repeats R] [--seed S] [--input-std 1] [--init default] [--layers 4 --heads 4 --embd 128
              --block 128] [--input normal|brown --data DIR] [--threads 1] [--save FILE.json]
  variance.py compare OURS.json PEER.json [--k 3]   (per site and layer: both values, their errors and the distance in
                                                      combined standard errors; a markdown table and a summary)
Output: the JSON of `ortho variance --json` (same keys).
"""
import argparse, json, math, os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SQRT2 = math.sqrt(2.0)


# ---------------------------------------------------------------- activations (from the formulas)

class Hermite(nn.Module):
    def __init__(s, n):
        super().__init__(); s.n = n
        a = torch.full((n + 1,), math.exp(-0.5)); a[0] = math.exp(-0.5) * math.sqrt(1 - 1 / math.factorial(n))
        s.coefficients = a
    def forward(s, x):
        p0, p1 = torch.ones_like(x), x
        out = s.coefficients[0] * p0 + s.coefficients[1] * p1
        for k in range(2, s.n + 1):
            p0, p1 = p1, (x * p1 - p0) / k
            out = out + s.coefficients[k] * p1
        return out
    def f_df(s, x):  # numpy, float64: f and f' (phi_k' = phi_{k-1})
        a = s.coefficients.double().numpy()
        p0, p1 = np.ones_like(x), x
        f, d = a[0] + a[1] * x, a[1] * np.ones_like(x)
        for k in range(2, s.n + 1):
            d = d + a[k] * p1
            p0, p1 = p1, (x * p1 - p0) / k
            f = f + a[k] * p1
        return f, d


class Fourier(nn.Module):
    def __init__(s, n):
        super().__init__(); s.n = n
        amp = 1 / math.sqrt(sum(1 / math.factorial(k) ** 2 for k in range(40)))  # 1/sqrt(I0(2))
        s.fundamental = torch.tensor([amp * math.sqrt(1 - 1 / math.factorial(n) ** 2)])
        s.coefficients = torch.full((n,), amp)
        s.phases = torch.full((n,), math.pi / 4)
        s.grid = torch.arange(1, n + 1, dtype=torch.float32)
        s.norm = torch.tensor([float(math.factorial(k)) for k in range(1, n + 1)])
    def forward(s, x):
        theta = x.unsqueeze(-1) * s.grid - s.phases
        return s.fundamental[0] + (s.coefficients / s.norm * torch.cos(theta)).sum(-1)
    def moments(s, sigma):  # closed form: E cos(w x - p) = cos(p) exp(-w^2 sigma^2 / 2)
        c = (s.coefficients / s.norm).double().numpy(); p = s.phases.double().numpy(); w = s.grid.double().numpy()
        f0 = float(s.fundamental[0]); s2 = sigma * sigma
        ecos = lambda om, ph: np.cos(ph) * np.exp(-0.5 * om * om * s2)
        mean = f0 + (c * ecos(w, p)).sum()
        m2 = f0 * f0 + 2 * f0 * (c * ecos(w, p)).sum()
        d2 = 0.0
        for j in range(s.n):
            for k in range(s.n):
                diff, summ = ecos(w[j] - w[k], p[j] - p[k]), ecos(w[j] + w[k], p[j] + p[k])
                m2 += c[j] * c[k] * 0.5 * (diff + summ)
                d2 += c[j] * c[k] * w[j] * w[k] * 0.5 * (diff - summ)
        return mean, m2, d2


class Tropical(nn.Module):
    def __init__(s, n):
        super().__init__(); s.n = n
        s.coefficients = torch.ones(n + 1); s.powers = torch.arange(n + 1, dtype=torch.float32)
    def forward(s, x):
        return SQRT2 / s.n * (x.unsqueeze(-1) * s.powers + s.coefficients).max(-1).values
    def lines(s):
        return [(SQRT2 / s.n * float(k), SQRT2 / s.n * float(a)) for k, a in zip(s.powers, s.coefficients)], []


class TropicalRational(nn.Module):
    def __init__(s, n, gen):
        super().__init__(); s.n = n
        s.powers_num, s.powers_denom, s.coefficients_num, s.coefficients_denom = (torch.randn(n + 1, generator=gen) for _ in range(4))
    def forward(s, x):
        x = x.unsqueeze(-1)
        return (x * s.powers_num + s.coefficients_num).max(-1).values - (x * s.powers_denom + s.coefficients_denom).max(-1).values
    def lines(s):
        return (list(zip(s.powers_num.double().tolist(), s.coefficients_num.double().tolist())),
                list(zip(s.powers_denom.double().tolist(), s.coefficients_denom.double().tolist())))


CLASSIC = {
    'gelu': (nn.GELU, lambda x: x * 0.5 * (1 + np.vectorize(math.erf)(x / SQRT2)),
             lambda x: 0.5 * (1 + np.vectorize(math.erf)(x / SQRT2)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)),
    'gelu_tanh': (lambda: nn.GELU(approximate='tanh'),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
                  lambda x: (lambda t: 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x))(
                      np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    'silu': (nn.SiLU, lambda x: x / (1 + np.exp(-x)), lambda x: (lambda sg: sg * (1 + x * (1 - sg)))(1 / (1 + np.exp(-x)))),
    'tanh': (nn.Tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    'sigmoid': (nn.Sigmoid, lambda x: 1 / (1 + np.exp(-x)), lambda x: (lambda sg: sg * (1 - sg))(1 / (1 + np.exp(-x)))),
}


def parse_spec(text):
    t = text.strip().lower()
    if t in CLASSIC or t == 'relu':
        return t, 0
    kind, _, deg = t.partition(':')
    if kind not in ('hermite', 'fourier', 'tropical', 'tropical_rational') or not deg.isdigit():
        sys.exit(f"variance.py: unknown activation '{text}'")
    return kind, int(deg)


def make_activation(spec, gen):
    kind, n = spec
    if kind == 'relu':
        return nn.ReLU()
    if kind in CLASSIC:
        return CLASSIC[kind][0]()
    return {'hermite': lambda: Hermite(n), 'fourier': lambda: Fourier(n), 'tropical': lambda: Tropical(n),
            'tropical_rational': lambda: TropicalRational(n, gen)}[kind]()


def apply_init(act, variant):
    """default | ones | unscaled (coefficient k times k!) | scale:S, for the Hermite and Fourier kinds."""
    if variant == 'default':
        return
    if isinstance(act, Hermite):
        terms, first, const = act.coefficients, 0, None
    elif isinstance(act, Fourier):
        terms, first, const = act.coefficients, 1, act.fundamental
    else:
        sys.exit(f"variance.py: --init {variant} applies to hermite and fourier activations only")
    for i in range(len(terms)):
        k = i + first
        if variant == 'ones':
            terms[i] = 1.0
        elif variant == 'unscaled':
            terms[i] = terms[i] * math.factorial(k)
        else:
            terms[i] = terms[i] * float(variant.split(':')[1])
    if const is not None and variant != 'unscaled':
        const[0] = 1.0 if variant == 'ones' else const[0] * float(variant.split(':')[1])


# ---------------------------------------------------------------- closed-form moments under N(0, sigma^2)

def _phi(z):
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _Phi(z):
    return 0.5 * math.erfc(-z / SQRT2)


def _max_of_lines(lines, x):
    return max(lines, key=lambda ab: ab[0] * x + ab[1])


def piecewise_moments(num, den, sigma):
    """Exact E[f], E[f^2], E[f'^2] of f = max(num lines) - max(den lines) (den may be empty) under N(0, sigma^2):
    on every interval between candidate kinks (all pairwise crossings) f is affine, alpha x + beta, and
    E[x^k 1{lo < x < hi}] follows from the normal density and distribution function."""
    cand = set()
    for group in (num, den):
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                (a1, b1), (a2, b2) = group[i], group[j]
                if a1 != a2:
                    cand.add((b2 - b1) / (a1 - a2))
    edges = [-math.inf] + sorted(cand) + [math.inf]
    m1 = m2 = d2 = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        if not hi > lo:
            continue
        if math.isinf(lo) and math.isinf(hi):
            mid = 0.0
        elif math.isinf(lo):
            mid = hi - 1
        elif math.isinf(hi):
            mid = lo + 1
        else:
            mid = 0.5 * (lo + hi)
        an, bn = _max_of_lines(num, mid)
        ad, bd = _max_of_lines(den, mid) if den else (0.0, 0.0)
        alpha, beta = an - ad, bn - bd
        A, B = lo / sigma, hi / sigma
        pA = 0.0 if math.isinf(A) else _phi(A)
        pB = 0.0 if math.isinf(B) else _phi(B)
        P = _Phi(B) - _Phi(A) if A < 0 else (0.5 * math.erfc(A / SQRT2) - 0.5 * math.erfc(B / SQRT2))
        e1 = sigma * (pA - pB)
        e2 = sigma * sigma * (P + (0.0 if math.isinf(A) else A * pA) - (0.0 if math.isinf(B) else B * pB))
        m1 += alpha * e1 + beta * P
        m2 += alpha * alpha * e2 + 2 * alpha * beta * e1 + beta * beta * P
        d2 += alpha * alpha * P
    return m1, m2, d2


_GH = {}


def gauss_hermite(f_df, sigma, nodes):
    if nodes not in _GH:
        z, w = np.polynomial.hermite_e.hermegauss(nodes)
        _GH[nodes] = (z, w / math.sqrt(2 * math.pi))
    z, w = _GH[nodes]
    f, d = f_df(sigma * z)
    return float((w * f).sum()), float((w * f * f).sum()), float((w * d * d).sum())


def moments(act, spec, sigma):
    """(E f, E f^2, E f'^2) at sigma; NaN when sigma^2 is not positive and finite."""
    if not (sigma > 0 and math.isfinite(sigma)):
        return math.nan, math.nan, math.nan
    kind = spec[0]
    if kind == 'relu':
        return piecewise_moments([(0.0, 0.0), (1.0, 0.0)], [], sigma)
    if kind in CLASSIC:
        _, f, d = CLASSIC[kind]
        return gauss_hermite(lambda x: (f(x), d(x)), sigma, 128)
    if isinstance(act, Hermite):
        return gauss_hermite(act.f_df, sigma, 64)  # f^2 has degree 2n <= 127: exact
    if isinstance(act, Fourier):
        return act.moments(sigma)
    return piecewise_moments(*act.lines(), sigma)


# ---------------------------------------------------------------- measurement

def row_moment(t, rows):
    """(mean of x^2, standard error over rows) in float64; rows are the independent samples."""
    m = t.detach().double().reshape(rows, -1).pow(2).mean(1)
    mean = float(m.mean())
    se = float(m.std(unbiased=True) / math.sqrt(rows)) if math.isfinite(mean) else math.nan
    return mean, se


def combine(per_repeat):
    r = len(per_repeat)
    vals = [v for v, _ in per_repeat]
    mean = sum(vals) / r
    samp = math.sqrt(sum(se * se for _, se in per_repeat)) / r
    rep = math.sqrt(sum((v - mean) ** 2 for v in vals) / (r - 1) / r) if r >= 2 else None
    return {'value': mean, 'se': rep if rep is not None else samp, 'se_sampling': samp, 'se_repeats': rep}


def q_moments(act, spec, q):
    return moments(act, spec, math.sqrt(q)) if q > 0 and math.isfinite(q) else (math.nan,) * 3


def gen(seed, r, stream):
    return torch.Generator().manual_seed((seed * 1_000_003 + r * 16 + stream) % (2 ** 63))


def measure_mlp(a, spec_text):
    spec = parse_spec(spec_text)
    c = 2.0 if a.weights == 'kaiming' else 1.0
    std = math.sqrt(c / a.width)
    S, L = a.samples or 1024, a.depth
    acc = {(l, site): {'f': [], 'b': [], 'pf': [], 'pb': [], 'lf': [], 'lb': []} for l in range(1, L + 1) for site in ('act_in', 'act_out')}
    inputs, tops = [], []
    for r in range(a.repeats):
        gw, ga, gx, gr = (gen(a.seed, r, k) for k in range(4))
        acts = [make_activation(spec, ga) for _ in range(L)]
        for m in acts:
            apply_init(m, a.init)
        W = [torch.randn(a.width, a.width, generator=gw) * std for _ in range(L)]
        x = (torch.randn(S, a.width, generator=gx) * a.input_std).requires_grad_()
        inputs.append(row_moment(x, S))
        pres, posts, h = [], [], x
        for l in range(L):
            pre = h @ W[l].t(); pre.retain_grad()
            h = acts[l](pre); h.retain_grad()
            pres.append(pre); posts.append(h)
        up = torch.randn(S, a.width, generator=gr)
        tops.append(row_moment(up, S))
        (h * up).sum().backward()
        fpre = [row_moment(t, S) for t in pres]; fpost = [row_moment(t, S) for t in posts]
        bpre = [row_moment(t.grad, S) if t.grad is not None else (math.nan, math.nan) for t in pres]
        bpost = [row_moment(t.grad, S) if t.grad is not None else (math.nan, math.nan) for t in posts]
        # closed-form chain from the nominal input and top, and one-step predictions from measured neighbours
        qpre, qpost = [0.0] * L, [0.0] * L
        for l in range(L):
            qpre[l] = c * (a.input_std ** 2 if l == 0 else qpost[l - 1])
            qpost[l] = q_moments(acts[l], spec, qpre[l])[1]
        gpre, gpost = [0.0] * L, [0.0] * L
        for l in reversed(range(L)):
            gpost[l] = 1.0 if l == L - 1 else c * gpre[l + 1]
            gpre[l] = gpost[l] * q_moments(acts[l], spec, qpre[l])[2]
        for l in range(L):
            _, lm2, ld2 = q_moments(acts[l], spec, fpre[l][0])
            site_in, site_out = acc[(l + 1, 'act_in')], acc[(l + 1, 'act_out')]
            site_in['f'].append(fpre[l]); site_in['b'].append(bpre[l])
            site_in['pf'].append(qpre[l]); site_in['pb'].append(gpre[l])
            site_in['lf'].append(c * (inputs[-1][0] if l == 0 else fpost[l - 1][0])); site_in['lb'].append(bpost[l][0] * ld2)
            site_out['f'].append(fpost[l]); site_out['b'].append(bpost[l])
            site_out['pf'].append(qpost[l]); site_out['pb'].append(gpost[l])
            site_out['lf'].append(lm2); site_out['lb'].append(tops[-1][0] if l == L - 1 else c * bpre[l + 1][0])
    settings = {'depth': L, 'width': a.width, 'weights': a.weights, 'samples': S, 'repeats': a.repeats, 'seed': a.seed,
                'input_std': a.input_std, 'init': a.init}
    return profile('mlp', spec_text, settings, inputs, tops, acc)


def measure_gpt(a, spec_text, tokens):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpt import GPT
    spec = parse_spec(spec_text)
    S, L, T, C = a.samples or 16, a.layers, a.block, a.embd
    acc = {(l, site): {'f': [], 'b': [], 'pf': [], 'pb': [], 'lf': [], 'lb': []} for l in range(1, L + 1) for site in ('act_in', 'act_out', 'residual')}
    inputs, tops = [], []
    for r in range(a.repeats):
        torch.manual_seed((a.seed * 1_000_003 + r * 16) % (2 ** 63))  # GPT.__init__ draws from the global generator
        model = GPT(256, T, L, a.heads, C, 'gelu')
        ga = gen(a.seed, r, 1)
        for b in model.transformer.h:
            b.mlp.act = make_activation(spec, ga)
            apply_init(b.mlp.act, a.init)
        for p in model.parameters():
            p.requires_grad_(False)
        if tokens is None:
            x = torch.randn(S, T, C, generator=gen(a.seed, r, 2)) * a.input_std
        else:
            starts = torch.randint(0, len(tokens) - T - 1, (S,), generator=gen(a.seed, r, 2))
            idx = torch.stack([torch.tensor(list(tokens[s:s + T]), dtype=torch.long) for s in starts.tolist()])
            x = model.transformer.wte(idx) + model.transformer.wpe(torch.arange(T))
        x = x.detach().requires_grad_()
        inputs.append(row_moment(x, S))
        taps, ln = [], []
        for b in model.transformer.h:
            x = x + b.attn(b.ln_1(x))
            n2 = b.ln_2(x); ln.append(row_moment(n2, S)[0])
            ai = b.mlp.c_fc(n2); ai.retain_grad()
            ao = b.mlp.act(ai); ao.retain_grad()
            x = x + b.mlp.c_proj(ao); x.retain_grad()
            taps.append((ai, ao, x))
        up = torch.randn(S, T, C, generator=gen(a.seed, r, 3))
        tops.append(row_moment(up, S))
        (x * up).sum().backward()
        for l, (b, (ai, ao, res)) in enumerate(zip(model.transformer.h, taps)):
            fc_gain = C * float(b.mlp.c_fc.weight.double().pow(2).mean())
            proj_back = C * float(b.mlp.c_proj.weight.double().pow(2).mean())
            fi, fo, fr = row_moment(ai, S), row_moment(ao, S), row_moment(res, S)
            bi, bo, br = row_moment(ai.grad, S), row_moment(ao.grad, S), row_moment(res.grad, S)
            _, lm2, ld2 = q_moments(b.mlp.act, spec, fi[0])
            for site, f, g, pf, lf, lb in (('act_in', fi, bi, fc_gain, fc_gain * ln[l], bo[0] * ld2),
                                           ('act_out', fo, bo, q_moments(b.mlp.act, spec, fc_gain)[1], lm2, proj_back * br[0]),
                                           ('residual', fr, br, None, None, None)):
                s = acc[(l + 1, site)]
                s['f'].append(f); s['b'].append(g)
                if pf is not None: s['pf'].append(pf)
                if lf is not None: s['lf'].append(lf)
                if lb is not None: s['lb'].append(lb)
    settings = {'layers': L, 'heads': a.heads, 'embd': C, 'block': T, 'samples': S, 'repeats': a.repeats, 'seed': a.seed,
                'input': 'normal' if tokens is None else 'tokens', 'init': a.init}
    if tokens is None:
        settings['input_std'] = a.input_std
    return profile('gpt', spec_text, settings, inputs, tops, acc)


def profile(model, spec_text, settings, inputs, tops, acc):
    mean = lambda v: sum(v) / len(v) if v else None
    sites = [{'layer': l, 'site': site, 'forward': combine(d['f']), 'backward': combine(d['b']),
              'predicted_forward': mean(d['pf']), 'predicted_backward': mean(d['pb']),
              'local_forward': mean(d['lf']), 'local_backward': mean(d['lb'])} for (l, site), d in acc.items()]
    kind, n = parse_spec(spec_text)
    return {'model': model, 'activation': f'{kind}:{n}' if n else kind, 'settings': settings,
            'input': combine(inputs), 'top_gradient': combine(tops), 'sites': sites}


def dumps(obj):
    """JSON with non-finite numbers as the strings Ortho writes ("Infinity", "-Infinity", "NaN")."""
    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return 'NaN' if math.isnan(v) else 'Infinity' if v > 0 else '-Infinity'
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v
    return json.dumps(fix(obj), indent=2)


# ---------------------------------------------------------------- comparison

def num(v):
    return float(v) if v is not None else math.nan


def compare(ours_path, peer_path, k):
    ours, peer = json.load(open(ours_path)), json.load(open(peer_path))
    worst, n, within, skipped = 0.0, 0, 0, 0
    print(f"distance = |ours - peer| / sqrt(se_ours^2 + se_peer^2), se = the error over repeats where there are repeats\n")
    for po in ours['profiles']:
        pp = next((p for p in peer['profiles'] if p['activation'] == po['activation'] and p['model'] == po['model']), None)
        if pp is None:
            print(f"{po['activation']}: not in {peer_path}")
            continue
        print(f"### {po['model']} {po['activation']}\n")
        print("| layer | site | direction | ours | peer | distance |")
        print("|---|---|---|---|---|---|")
        pmap = {(s['layer'], s['site']): s for s in pp['sites']}
        stats = {'n': 0, 'within': 0, 'worst': 0.0}
        for so in po['sites']:
            sp = pmap.get((so['layer'], so['site']))
            if sp is None:
                continue
            for d in ('forward', 'backward'):
                a, b = so[d], sp[d]
                va, vb, ea, eb = num(a['value']), num(b['value']), num(a['se']), num(b['se'])
                if not all(math.isfinite(v) for v in (va, vb, ea, eb)) or ea + eb == 0:
                    skipped += 1
                    print(f"| {so['layer']} | {so['site']} | {d} | {va:.4g} | {vb:.4g} | n/a |")
                    continue
                z = abs(va - vb) / math.sqrt(ea * ea + eb * eb)
                n += 1; within += z <= k; worst = max(worst, z)
                stats['n'] += 1; stats['within'] += z <= k; stats['worst'] = max(stats['worst'], z)
                print(f"| {so['layer']} | {so['site']} | {d} | {va:.4g} ± {ea:.2g} | {vb:.4g} ± {eb:.2g} | {z:.2f} |")
        def first_non_finite(p):
            bad = [s['layer'] for s in p['sites'] if not math.isfinite(num(s['forward']['value']))]
            return min(bad) if bad else None
        print(f"\n{po['activation']}: {stats['n']} comparisons, {stats['within']} within {k} standard errors, largest distance "
              f"{stats['worst']:.2f}; first layer with a non-finite forward moment: ours {first_non_finite(po)}, peer {first_non_finite(pp)}\n")
    print(f"summary: {n} comparisons, {within} within {k} standard errors, largest distance {worst:.2f}; {skipped} not comparable (non-finite)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'compare':
        ap = argparse.ArgumentParser(prog='variance.py compare')
        ap.add_argument('ours'); ap.add_argument('peer'); ap.add_argument('--k', type=float, default=3.0)
        a = ap.parse_args(sys.argv[2:])
        compare(a.ours, a.peer, a.k)
        return
    ap = argparse.ArgumentParser(prog='variance.py')
    ap.add_argument('--model', default='mlp', choices=['mlp', 'gpt'])
    ap.add_argument('--activation', default='gelu,hermite:3,fourier:5,tropical:5')
    ap.add_argument('--depth', type=int, default=32); ap.add_argument('--width', type=int, default=256)
    ap.add_argument('--weights', default='lecun', choices=['lecun', 'kaiming'])
    ap.add_argument('--layers', type=int, default=4); ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--embd', type=int, default=128); ap.add_argument('--block', type=int, default=128)
    ap.add_argument('--input', default='normal', choices=['normal', 'brown'])
    ap.add_argument('--data', default=os.environ.get('ORTHO_DATA', 'data'))
    ap.add_argument('--input-std', type=float, default=1.0)
    ap.add_argument('--samples', type=int, default=0)
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--init', default='default')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--save')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    specs = [s for s in a.activation.split(',') if s.strip()]
    if a.model == 'mlp':
        profiles = [measure_mlp(a, s) for s in specs]
    else:
        tokens = None
        if a.input == 'brown':
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import brown
            tokens = brown.load(os.path.join(a.data, 'brown'))[1]
        profiles = [measure_gpt(a, s, tokens) for s in specs]
    text = dumps({'peer': f'PyTorch {torch.__version__}, scripts/peer/variance.py',
                  'command': 'variance.py ' + ' '.join(sys.argv[1:]), 'profiles': profiles})
    if a.save:
        with open(a.save, 'w') as fh:
            fh.write(text + '\n')
    print(text)


if __name__ == '__main__':
    main()
