"""PyTorch's LoRA training throughput on the same model and batch as `npm run bench -- lm`.

Usage: python3 scripts/lm/bench_torch.py <model dir> <batch.json> <steps> <threads>
batch.json: {"input_ids": [[...], ...], "r": 8, "alpha": 16, "targets": ["q_proj", "v_proj"], "lr": 1e-4}
Prints one JSON line: {"tokensPerSecond": [per step...], "torch": version, "threads": n, "blas": library}.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_ref import forward, module_of, read_safetensors  # noqa: E402


def main():
    model_dir, batch_file, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    W = {}
    for name in sorted(os.listdir(model_dir)):
        if name.endswith(".safetensors"):
            W.update(read_safetensors(os.path.join(model_dir, name)))
    with open(batch_file) as f:
        batch = json.load(f)
    ids = torch.tensor(batch["input_ids"], dtype=torch.int64)
    r, alpha = batch["r"], batch["alpha"]
    lora = {}
    for i in range(cfg["num_hidden_layers"]):
        for t in batch["targets"]:
            out_f, in_f = W[f"model.layers.{i}.{module_of(t)}.{t}.weight"].shape
            key = f"base_model.model.model.layers.{i}.{module_of(t)}.{t}"
            a = torch.empty(r, in_f)
            torch.nn.init.kaiming_uniform_(a, a=5**0.5)
            lora[key + ".lora_A.weight"] = a.requires_grad_()
            lora[key + ".lora_B.weight"] = torch.zeros(out_f, r).requires_grad_()
    opt = torch.optim.AdamW(list(lora.values()), lr=batch["lr"], weight_decay=0.0)
    rates = []
    tokens = ids.numel()
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        logits = forward(cfg, W, lora, alpha / r, ids)
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad()
        rates.append(tokens / (time.perf_counter() - t0))
    print(json.dumps({"tokensPerSecond": rates[1:], "torch": torch.__version__, "threads": threads, "blas": loaded_blas()}))


def loaded_blas():
    """The BLAS library this process actually mapped (Debian's torch links libblas.so.3, which the
    alternatives system points at the reference BLAS unless OpenBLAS or BLIS is installed)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")}
        return ", ".join(sorted(os.path.realpath(p) for p in libs)) or "unknown"
    except OSError:
        return "unknown"


main()
