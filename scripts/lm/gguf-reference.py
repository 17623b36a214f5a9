"""Writes the PyTorch reference that test/lm/gguf.test.ts compares llama.cpp against.

  nice -n 10 python3 scripts/lm/gguf-reference.py

For the shipped base (assets/lm/openledger-base, fp16 weights widened to fp32) and for that base
with a non-zero LoRA adapter (seeded, written in PEFT's layout by this script, so the test also
reads an adapter openledger did not write): the prompt's token ids, the log-probabilities of the
first generated token over the whole vocabulary, and a greedy continuation.
Output: test/fixtures/lm/gguf-reference/{reference.json, adapter/}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
from llama import load_folder, save_safetensors  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = os.path.join(ROOT, "assets", "lm", "openledger-base")
OUT = os.path.join(ROOT, "test", "fixtures", "lm", "gguf-reference")
PROMPT = "The committee said that the new school building would be ready in the fall, and the"
STEPS = 12
LORA = {"r": 4, "alpha": 8, "targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "down_proj"]}


@torch.no_grad()
def reference(model, ids):
    logprobs = torch.log_softmax(model(torch.tensor([ids]))[0, -1].double(), -1)
    out, margins = list(ids), []
    for _ in range(STEPS):
        logits = model(torch.tensor([out]))[0, -1]
        top = torch.topk(logits, 2).values
        margins.append(round(float(top[0] - top[1]), 6))
        out.append(int(logits.argmax()))
    return {"logprobs": [round(float(x), 6) for x in logprobs], "greedy": out[len(ids):], "margins": margins}


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1234)
    with open(os.path.join(args.base, "tokenizer.json")) as f:
        tok = json.load(f)
    encoder = bpe.Encoder(tok["model"]["vocab"], [tuple(m.split(" ")) for m in tok["model"]["merges"]])
    ids = encoder.encode(PROMPT)

    model = load_folder(args.base).eval()
    base = reference(model, ids)

    model.add_lora(LORA["r"], LORA["alpha"], 0.0, LORA["targets"])
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=1.0)  # large enough to change the continuation
    adapter = reference(model, ids)

    adapter_dir = os.path.join(args.out, "adapter")
    os.makedirs(adapter_dir, exist_ok=True)
    save_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"),
                     {k: v.float() for k, v in model.lora_state_dict().items()}, {"format": "pt"})
    # The fields PEFT 0.10 wrote (an older release than the one openledger writes as).
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "openledger-base", "bias": "none",
        "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True, "layer_replication": None,
        "layers_pattern": None, "layers_to_transform": None, "loftq_config": {}, "lora_alpha": LORA["alpha"],
        "lora_dropout": 0.0, "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None,
        "peft_type": "LORA", "r": LORA["r"], "rank_pattern": {}, "revision": None,
        "target_modules": LORA["targets"], "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }
    with open(os.path.join(adapter_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)

    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"prompt": PROMPT, "ids": ids, "torch": torch.__version__, "base": base, "adapter": adapter}, f)
    print(f"prompt {len(ids)} tokens; base greedy {base['greedy']}; adapter greedy {adapter['greedy']}")


if __name__ == "__main__":
    main()
