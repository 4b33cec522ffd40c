#!/usr/bin/python3
"""Loads a model.safetensors written by `ortho train` into the PyTorch peer with strict keys and runs it once.

Usage: /usr/bin/python3 scripts/peer/check_peer_load.py RUN_DIR/model.safetensors [PEER_DIR]
PEER_DIR holds the peer's gpt.py / convnext.py / safetensors_io.py (default: this script's directory, scripts/peer).
Needs Debian's python3-torch. For learnable activations without torchortho installed, the peer's activation
modules are stood in for by parameter-and-buffer shells with torchortho's names and shapes (only the load is
checked for those; GELU models also run a forward pass)."""
import json, math, os, sys
ref = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(ref))
import torch, torch.nn as nn
import safetensors_io

class Shell(nn.Module):
    """torchortho's parameter and buffer names and shapes for one activation (values come from the file)."""
    def __init__(self, kind, n):
        super().__init__()
        P = lambda k: nn.Parameter(torch.zeros(k))
        if kind == 'hermite':
            self.coefficients = P(n + 1)
            self.register_buffer('coeffs', torch.zeros(n + 1, n // 2 + 1))
            self.register_buffer('grid', torch.zeros(n + 1, n // 2 + 1, dtype=torch.long))
        elif kind == 'fourier':
            self.fundamental, self.coefficients, self.phases, self.grid = P(1), P(n), P(n), P(n)
        elif kind == 'tropical':
            self.coefficients = P(n + 1)
            self.register_buffer('powers', torch.zeros(n + 1, dtype=torch.long))
        elif kind == 'tropical_rational':
            self.powers_num, self.powers_denom, self.coefficients_num, self.coefficients_denom = P(n + 1), P(n + 1), P(n + 1), P(n + 1)
    def forward(self, x):
        raise RuntimeError('shell activation: load check only')

def main():
    path = sys.argv[1]
    with open(path, 'rb') as f:
        n = int.from_bytes(f.read(8), 'little'); meta = json.loads(f.read(n)).get('__metadata__', {})
    cfg = json.loads(meta['config'])
    state = safetensors_io.load(path)
    if 'Layers' in cfg:
        import gpt
        act = cfg['Activation']
        spec = act.split(':')
        gpt.make_activation = (lambda name: nn.GELU()) if act == 'gelu' else (lambda name: Shell(spec[0], int(spec[1])))
        m = gpt.GPT(vocab=256, block=cfg['Block'], n_layer=cfg['Layers'], n_head=cfg['Heads'], n_embd=cfg['Embd'], act=act)
        state['lm_head.weight'] = state['transformer.wte.weight']  # tied: stored once, as the peer writes it
    else:
        import convnext, gpt
        mc = cfg['model']; act = mc['Activation']; spec = act.split(':')
        convnext.make_activation = (lambda name: nn.GELU()) if act == 'gelu' else (lambda name: Shell(spec[0], int(spec[1])))
        m = convnext.ConvNeXt(in_chans=mc['InChans'], classes=mc['Classes'], depths=mc['Depths'], dims=mc['Dims'], stem=mc['Stem'], act=act)
    missing, unexpected = m.load_state_dict(state, strict=True)
    print(f'{path}: strict load OK ({len(state)} tensors, activation {act})')
    if act == 'gelu':
        with torch.no_grad():
            if 'Layers' in cfg:
                logits, _ = m(torch.arange(16).view(1, 16) % 256)
            else:
                logits = m(torch.zeros(1, mc['InChans'], mc['ImageSize'], mc['ImageSize']))
        assert torch.isfinite(logits).all()
        print(f'forward OK, logits shape {tuple(logits.shape)}')

main()
