"""A byte-level BPE trainer (GPT-2 style) that writes a Hugging Face tokenizer.json.

Text is split with GPT-2's pre-tokenizer pattern, each piece is mapped to GPT-2's printable
byte alphabet, and the most frequent adjacent pair is merged until the vocabulary is full.
Pair counts are updated incrementally (only the words holding the merged pair are revisited),
so a few thousand merges over the Brown corpus take seconds.
"""
import heapq
import re
from collections import Counter, defaultdict

# GPT-2's pattern with \p{L} / \p{N} spelled for Python's `re` (no `regex` module here). It only
# shapes which merges are learnt; tokenization at run time uses the exact pattern of the reader.
PIECES = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters (space becomes 'Ġ')."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def train(texts, vocab_size, specials):
    byte_map = bytes_to_unicode()
    counts = Counter()
    for text in texts:
        for piece in PIECES.findall(text):
            counts["".join(byte_map[b] for b in piece.encode("utf-8"))] += 1
    words = [list(w) for w in counts]
    freqs = [counts[w] for w in counts]

    vocab = {byte_map[b]: b for b in range(256)}
    merges = []
    pair_count = defaultdict(int)
    where = defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    target = vocab_size - len(specials)
    while len(vocab) < target and heap:
        neg, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -neg or -neg <= 0:
            continue  # a stale entry: the count changed after it was pushed
        merged = pair[0] + pair[1]
        merges.append(pair)
        if merged not in vocab:
            vocab[merged] = len(vocab)
        touched = set()
        for i in list(where[pair]):
            w, f = words[i], freqs[i]
            for a, b in zip(w, w[1:]):
                pair_count[(a, b)] -= f
                touched.add((a, b))
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_count[(a, b)] += f
                where[(a, b)].add(i)
                touched.add((a, b))
        del pair_count[pair]
        where.pop(pair, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
    for s in specials:
        vocab[s] = len(vocab)
    return vocab, merges


def tokenizer_json(vocab, merges, specials):
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for s in specials
        ],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": byte_level,
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges],
        },
    }


class Encoder:
    """Applies the learnt merges by rank, as a BPE tokenizer does at run time (used for training data)."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {p: i for i, p in enumerate(merges)}
        self.byte_map = bytes_to_unicode()
        self.cache = {}

    def word(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        w = [self.byte_map[b] for b in piece.encode("utf-8")]
        while len(w) > 1:
            best = min(((self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(w, w[1:]))))
            if best[0] == 1 << 30:
                break
            k = best[1]
            w = w[:k] + [w[k] + w[k + 1]] + w[k + 2:]
        ids = [self.vocab[s] for s in w]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for piece in PIECES.findall(text):
            out.extend(self.word(piece))
        return out
