"""The Brown corpus as plain text, split as Ortho's loader does (src/Ortho/Data/BrownCorpus.cs):
files c[a-r]NN sorted by name; every 10th file (index % 10 == 0) is validation; each token 'word/tag'
keeps the text before its last '/'; tokens joined by one space; one sentence (non-empty line) per line."""
import os, re
def load(root):
    names = sorted(n for n in os.listdir(root) if re.fullmatch(r'c[a-r]\d\d', n))
    train, val = [], []
    for i, n in enumerate(names):
        lines = []
        for line in open(os.path.join(root, n), encoding='utf-8', errors='strict'):
            toks = line.split()
            if toks:
                lines.append(' '.join(t[:t.rfind('/')] if '/' in t else t for t in toks))
        (val if i % 10 == 0 else train).append('\n'.join(lines) + '\n')
    return ''.join(train).encode('utf-8'), ''.join(val).encode('utf-8')
if __name__ == '__main__':
    import sys
    tr, va = load(sys.argv[1]); print(len(tr), len(va)); print(tr[:300].decode())
