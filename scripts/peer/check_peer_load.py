#!/usr/bin/python3
"""Loads a model file into the PyTorch peer with torchortho's module layout and strict keys, then runs it.

Usage: /usr/bin/python3 scripts/peer/check_peer_load.py FILE [--fixture FIXTURE.json] [--aligned]
FILE: anything Ortho writes (`ortho train`'s model.safetensors or checkpoint, `ortho mlp train`'s model, `ortho convert
--to ortho|torchortho`, `ortho fit --out`) or a file the peer wrote (tests/fixtures). The architecture comes from the metadata (Ortho's config,
or the peer's model/activation/sizes). Every learnable activation is torchortho's layout (scripts/peer/torchortho_layout.py,
or the real torchortho when TORCHORTHO names its directory): every parameter and buffer, Hermite's optional
normalization_term when the file has it (use_numba=True) and clamp.lim_val with clamp=True, so a missing or extra key
fails here as it fails in torchortho. Dtypes must match the module's too. --fixture runs the fixture's batch and compares
loss and logits with the numbers PyTorch computed; --aligned requires every tensor aligned for zero-copy readers."""
import json, math, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch, torch.nn as nn
import load_ortho, torchortho_layout as layout

CLASSIC = {'gelu': nn.GELU, 'gelu_tanh': lambda: nn.GELU(approximate='tanh'), 'relu': nn.ReLU, 'silu': nn.SiLU,
           'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid}


def activation_factory(spec, state, prefix='.act.'):
    kind, degree, clamp = layout.parse(spec)
    if degree == 0:
        return lambda name: CLASSIC[kind]()
    use_numba = kind == 'hermite' and any(k == 'normalization_term' or k.endswith(prefix + 'normalization_term') for k in state)
    return lambda name: layout.make(kind, degree, clamp=clamp, use_numba=use_numba)


class MLP(nn.Module):
    """Ortho's MLP as nn.Sequential under `layers`: Linear, activation, ..., Linear."""
    def __init__(s, inputs, hidden, outputs, acts):
        super().__init__()
        widths, mods = [inputs] + list(hidden), []
        for i, (w, make) in enumerate(zip(hidden, acts)):
            mods += [nn.Linear(widths[i], w), make('act')]
        s.layers = nn.Sequential(*mods, nn.Linear(widths[-1], outputs))

    def forward(s, x):
        return s.layers(x)


def describe(meta):
    """(model, sizes, activation) from Ortho's config metadata or the peer's."""
    if 'config' in meta:
        c = json.loads(meta['config'])
        if c.get('Architecture') == 'mlp':   # an Ortho MLP file (ortho mlp train)
            return 'mlp', dict(inputs=c['Inputs'], hidden=c['Hidden'], outputs=c['Outputs']), c['Activations']
        if 'Layers' in c:   # a trainer's LM recipe (vocabulary 256) or ortho convert's GptConfig
            return 'gpt', dict(vocab=c.get('Vocab', 256), block=c['Block'], n_layer=c['Layers'], n_head=c['Heads'], n_embd=c['Embd']), c['Activation']
        m = c['model']
        return 'convnext', dict(in_chans=m['InChans'], classes=m['Classes'], depths=m['Depths'], dims=m['Dims'], stem=m['Stem']), m['Activation']
    kind = meta.get('model') or meta.get('ortho_model') or ('gpt' if 'n_layer' in meta else 'convnext' if 'depths' in meta else None)
    tup = lambda s: [v.strip() for v in s.strip('()[]').split(',') if v.strip()]
    if kind == 'mlp':
        return 'mlp', dict(inputs=int(meta['inputs']), hidden=[int(v) for v in tup(meta['hidden'])], outputs=int(meta['outputs'])), tup(meta['activations'])
    if kind == 'gpt':
        return 'gpt', {k: int(meta[k]) for k in ('vocab', 'block', 'n_layer', 'n_head', 'n_embd')}, meta['activation']
    if kind == 'convnext':
        return 'convnext', dict(in_chans=int(meta['in_chans']), classes=int(meta['classes']), depths=[int(v) for v in tup(meta['depths'])],
                                dims=[int(v) for v in tup(meta['dims'])], stem=int(meta['stem'])), meta['activation']
    if 'activation' in meta:
        return 'activation', {}, meta['activation']
    raise SystemExit('no metadata names the architecture (Ortho config or model/activation): '
                     'write the file with `ortho convert IN --to torchortho --out OUT`')


def main(argv):
    path = argv[0]
    fixture = argv[argv.index('--fixture') + 1] if '--fixture' in argv else None
    state, meta, misaligned = load_ortho.read(path, require_aligned='--aligned' in argv)
    if meta.get('format') == 'ortho-checkpoint-1':
        state = {k[len('model.'):]: v for k, v in state.items() if k.startswith('model.')}
    model_kind, sizes, act = describe(meta)
    if model_kind == 'mlp':
        m = MLP(acts=[activation_factory(a, state, f'layers.{2 * i + 1}.') for i, a in enumerate(act)], **sizes)
        act = ', '.join(act)
    elif model_kind == 'gpt':
        import gpt
        gpt.make_activation = activation_factory(act, state)
        m = gpt.GPT(act=act, **sizes)
    elif model_kind == 'convnext':
        import convnext
        convnext.make_activation = activation_factory(act, state)
        m = convnext.ConvNeXt(act=act, **sizes)
    else:
        m = activation_factory(act, state, '')('act')
    load_ortho.load_into(m, state)
    print(f'{path}: strict load OK ({model_kind}, activation {act}, {len(state)} tensors, '
          + ('every tensor aligned' if not misaligned else f'{len(misaligned)} tensors not aligned') + ')')
    with torch.no_grad():
        if fixture:
            f = json.load(open(fixture))
            if model_kind == 'gpt':
                logits, loss = m(torch.tensor(f['idx']), torch.tensor(f['targets']))
                first = logits[0, 0]
            else:
                x = torch.tensor(f['images']).view(f['image_shape'])
                logits = m(x); loss = torch.nn.functional.cross_entropy(logits, torch.tensor(f['labels'])); first = logits[0]
            expected = torch.tensor(f['logits_first_row'])
            err = (first - expected).abs().max().item()
            assert abs(loss.item() - f['loss']) <= 1e-4 + 1e-3 * abs(f['loss']), (loss.item(), f['loss'])
            assert torch.allclose(first, expected, atol=1e-4, rtol=1e-3), err
            print(f'fixture {os.path.basename(fixture)}: loss {loss.item():.6f} (PyTorch {f["loss"]:.6f}), max |logit diff| {err:.2e}')
        elif model_kind == 'gpt':
            logits, _ = m(torch.arange(16).view(1, 16) % sizes['vocab'])
            assert torch.isfinite(logits).all()
            print(f'forward OK, logits shape {tuple(logits.shape)}')
        elif model_kind == 'mlp':
            y = m(torch.linspace(-2, 2, 4 * sizes['inputs']).view(4, sizes['inputs']))
            assert torch.isfinite(y).all()
            print(f'forward OK, outputs shape {tuple(y.shape)}')
        elif model_kind == 'convnext':
            size = sizes['stem'] * 2 ** (len(sizes['dims']) - 1) * 2
            logits = m(torch.sin(torch.arange(size * size * sizes['in_chans'], dtype=torch.float32)).view(1, sizes['in_chans'], size, size))
            assert torch.isfinite(logits).all()
            print(f'forward OK, logits shape {tuple(logits.shape)}')
        else:
            y = m(torch.linspace(-3, 3, 7))
            assert torch.isfinite(y).all()
            print('f(-3..3) =', [round(v, 5) for v in y.tolist()])


main(sys.argv[1:])
