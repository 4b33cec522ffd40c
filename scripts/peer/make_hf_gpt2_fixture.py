"""A tiny GPT-2 in the Hugging Face layout, for the import tests (tests/fixtures/hf-gpt2-tiny.*).

Hugging Face's transformers is not needed: the file is written as its GPT-2 saves one. Keys without the
'transformer.' prefix (h.N.ln_1.weight, h.N.attn.c_attn.weight, ..., wte.weight, wpe.weight, ln_f.*), the tied
lm_head left out, and the four projections (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj) as Conv1D weights:
[in, out], the transpose of nn.Linear's [out, in]. The logits come from a forward pass written the way that layout
computes (x @ W + b, the tanh-approximated "gelu_new", masked scores at the float minimum), checked against the
peer's nanoGPT-style GPT (gpt.py) loaded with the transposed weights.

Usage: /usr/bin/python3 scripts/peer/make_hf_gpt2_fixture.py OUT_DIR [SEED]
Writes hf-gpt2-tiny.safetensors (F32 weights), hf-gpt2-tiny.config.json (Hugging Face's config.json) and
hf-gpt2-tiny.json (a batch, its logits and loss; logits_f16_row0: the first sequence's logits with every weight
rounded to float16, for the F16 import test)."""
import json, math, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch, torch.nn as nn
import safetensors_io
from gpt import GPT

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
os.makedirs(out, exist_ok=True)
V, BLOCK, L, H, C = 96, 32, 2, 4, 32
B, T = 2, 16
CONV1D = ('attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight')

torch.manual_seed(seed)
peer = GPT(vocab=V, block=BLOCK, n_layer=L, n_head=H, n_embd=C, act='gelu')
for blk in peer.transformer.h:
    blk.mlp.act = nn.GELU(approximate='tanh')
with torch.no_grad():  # every weight and bias random and large enough that a wrong one shows in the logits
    for n, p in peer.named_parameters():
        if n.endswith(('ln_1.weight', 'ln_2.weight', 'ln_f.weight')):
            p.copy_(1 + 0.2 * torch.randn_like(p))
        elif n.endswith('.bias'):
            p.copy_(0.1 * torch.randn_like(p))
        else:
            p.copy_((0.5 if 'wte' in n or 'wpe' in n else 0.15) * torch.randn_like(p))

# The Hugging Face state dict: no prefix, Conv1D weights transposed, no lm_head (tied to wte).
hf = {}
for k, v in peer.state_dict().items():
    if k == 'lm_head.weight':
        continue
    k = k[len('transformer.'):]
    hf[k] = v.t().contiguous() if k.endswith(CONV1D) else v.clone()

def hf_forward(sd, idx):
    """GPT-2 as the Hugging Face layout computes it, from that state dict alone."""
    def conv1d(x, p):
        return x @ sd[p + '.weight'] + sd[p + '.bias']
    def ln(x, p):
        return nn.functional.layer_norm(x, (C,), sd[p + '.weight'], sd[p + '.bias'], eps=1e-5)
    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    b, t = idx.shape
    x = sd['wte.weight'][idx] + sd['wpe.weight'][torch.arange(t)]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    for i in range(L):
        p = f'h.{i}.'
        q, k, v = conv1d(ln(x, p + 'ln_1'), p + 'attn.c_attn').split(C, dim=2)
        q, k, v = [z.view(b, t, H, C // H).permute(0, 2, 1, 3) for z in (q, k, v)]
        w = (q @ k.transpose(-1, -2)) / math.sqrt(C // H)
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min)).softmax(-1)
        a = (w @ v).permute(0, 2, 1, 3).reshape(b, t, C)
        x = x + conv1d(a, p + 'attn.c_proj')
        x = x + conv1d(gelu_new(conv1d(ln(x, p + 'ln_2'), p + 'mlp.c_fc')), p + 'mlp.c_proj')
    return ln(x, 'ln_f') @ sd['wte.weight'].t()

idx = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
with torch.no_grad():
    logits = hf_forward(hf, idx)
    peer_logits, _ = peer(idx)
    assert torch.allclose(logits, peer_logits, atol=1e-5, rtol=1e-5), (logits - peer_logits).abs().max()
    loss = nn.functional.cross_entropy(logits.view(-1, V), targets.view(-1))
    logits16 = hf_forward({k: v.half().float() for k, v in hf.items()}, idx)

stem = os.path.join(out, 'hf-gpt2-tiny')
safetensors_io.save(hf, stem + '.safetensors', metadata={'format': 'pt'})
config = {
    'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1, 'embd_pdrop': 0.1,
    'initializer_range': 0.02, 'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2', 'n_ctx': BLOCK, 'n_embd': C,
    'n_head': H, 'n_inner': None, 'n_layer': L, 'n_positions': BLOCK, 'reorder_and_upcast_attn': False,
    'resid_pdrop': 0.1, 'scale_attn_by_inverse_layer_idx': False, 'scale_attn_weights': True, 'tie_word_embeddings': True,
    'vocab_size': V,
}
with open(stem + '.config.json', 'w') as f:
    json.dump(config, f, indent=2, sort_keys=True)
    f.write('\n')
R = lambda t: [float('%.7g' % v) for v in t.reshape(-1).tolist()]
with open(stem + '.json', 'w') as f:
    json.dump(dict(source=f'PyTorch {torch.__version__}', seed=seed, weights='hf-gpt2-tiny.safetensors',
                   config=dict(vocab=V, block=BLOCK, n_layer=L, n_head=H, n_embd=C, activation='gelu_tanh'),
                   idx=idx.tolist(), targets=targets.tolist(), loss=float(loss), logits_shape=list(logits.shape),
                   logits=R(logits), logits_f16_row0=R(logits16[0])), f)
print('wrote', stem + '.*', 'loss', float(loss), 'max |f16 - f32| logits', float((logits16 - logits).abs().max()))
