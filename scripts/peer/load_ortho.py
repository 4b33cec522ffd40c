"""Reads a safetensors file as zero-copy readers do and loads it into a PyTorch module with strict keys.

`read(path)` maps every tensor straight onto the file's bytes with torch.frombuffer (no copy), which needs each tensor's
data aligned to its element size: files Ortho writes are; a misaligned tensor is reported (and, with
require_aligned=True, an error). `load_into(model, state)` first restores tensors a file stores once because the model
ties them (the GPT's lm_head.weight = transformer.wte.weight), as Hugging Face's load_model does, checks every dtype
against the model's, then calls load_state_dict(strict=True).

Usage as a script: load_ortho.py FILE  (prints each tensor's dtype, shape and alignment)"""
import json, sys
import torch

DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
          'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def read(path, require_aligned=False):
    """(tensors, metadata, misaligned names) of a safetensors file; aligned tensors share the file's buffer."""
    data = bytearray(open(path, 'rb').read())
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    tensors, misaligned = {}, []
    for name, e in header.items():
        dt = DTYPES[e['dtype']]
        size = torch.empty(0, dtype=dt).element_size()
        begin, end = (8 + n + o for o in e['data_offsets'])
        if begin % size:
            misaligned.append(name)
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dt) if end > begin else torch.empty(0, dtype=dt)
        else:
            t = torch.frombuffer(data, dtype=dt, count=(end - begin) // size, offset=begin) if end > begin else torch.empty(0, dtype=dt)
        tensors[name] = t.view(e['shape'])
    if require_aligned and misaligned:
        raise ValueError(f'{path}: not aligned for zero-copy readers: ' + ', '.join(misaligned))
    return tensors, meta, misaligned


def load_into(model, state):
    """Restores tied tensors stored once, checks dtypes, then load_state_dict(strict=True)."""
    own = model.state_dict(keep_vars=True)
    for key, value in own.items():
        if key not in state:
            for other, v in own.items():
                if other in state and other != key and v.data_ptr() == value.data_ptr():
                    state[key] = state[other]   # a tied tensor the file keeps under its other name
                    break
    bad = [f'{k}: file {state[k].dtype}, model {v.dtype}' for k, v in own.items() if k in state and state[k].dtype != v.dtype]
    if bad:
        raise RuntimeError('dtype mismatches (torch would convert silently): ' + '; '.join(bad))
    model.load_state_dict(state, strict=True)
    return model


if __name__ == '__main__':
    tensors, meta, misaligned = read(sys.argv[1])
    for name, t in tensors.items():
        print(f'{name} {t.dtype} {list(t.shape)}' + ('  MISALIGNED' if name in misaligned else ''))
    print('metadata:', meta)
    print('every tensor aligned to its element size' if not misaligned else f'{len(misaligned)} misaligned tensors')
