"""Golden fixtures for the engine's parity test (test/lm/parity.test.ts).

Builds a tiny Llama in plain torch with Hugging Face semantics (RMSNorm, rotate_half rotary positions,
grouped-query attention via repeat_kv, SwiGLU, tied or untied head), adds PEFT-style LoRA on every
projection with a non-zero B (so A's gradient is non-trivial), runs a fixed batch and writes:
  test/fixtures/lm/<case>/config.json, model.safetensors  the base, in HF's layout
  test/fixtures/lm/<case>/golden.safetensors  input_ids, loss_mask, logits, loss, the LoRA tensors and
                                              their gradients (PEFT names + ".grad")
Run from the repository root:  nice -n 10 python3 scripts/lm/golden.py
"""
import json
import os

import torch

from llama_ref import TARGETS, forward, module_of, write_safetensors

torch.set_num_threads(1)


def make_case(name, tied, heads, kv_heads, seed):
    torch.manual_seed(seed)
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "intermediate_size": 48,
        "num_hidden_layers": 2, "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": 32 // heads,
        "vocab_size": 61, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 64,
        "tie_word_embeddings": tied, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
    }
    H, I, V, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["head_dim"]
    shapes = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,)}
    if not tied:
        shapes["lm_head.weight"] = (V, H)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update({
            p + "input_layernorm.weight": (H,), p + "post_attention_layernorm.weight": (H,),
            p + "self_attn.q_proj.weight": (heads * hd, H), p + "self_attn.k_proj.weight": (kv_heads * hd, H),
            p + "self_attn.v_proj.weight": (kv_heads * hd, H), p + "self_attn.o_proj.weight": (H, heads * hd),
            p + "mlp.gate_proj.weight": (I, H), p + "mlp.up_proj.weight": (I, H), p + "mlp.down_proj.weight": (H, I),
        })
    W = {}
    for k in sorted(shapes):
        if k.endswith("layernorm.weight") or k == "model.norm.weight":
            W[k] = 1 + 0.1 * torch.randn(shapes[k])
        else:
            W[k] = 0.2 * torch.randn(shapes[k])
    r, alpha = 4, 8
    lora = {}
    for i in range(cfg["num_hidden_layers"]):
        for t in TARGETS:
            out_f, in_f = W[f"model.layers.{i}.{module_of(t)}.{t}.weight"].shape
            key = f"base_model.model.model.layers.{i}.{module_of(t)}.{t}"
            lora[key + ".lora_A.weight"] = (0.2 * torch.randn(r, in_f)).requires_grad_()
            lora[key + ".lora_B.weight"] = (0.2 * torch.randn(out_f, r)).requires_grad_()
    ids = torch.randint(0, V, (2, 9))
    loss_mask = torch.ones(2, 9)
    loss_mask[:, 0] = 0
    loss_mask[1, :4] = 0  # a prompt/response row: loss on the response only
    logits = forward(cfg, W, lora, alpha / r, ids)
    logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    m = loss_mask[:, 1:]
    loss = -(logp * m).sum() / m.sum()
    loss.backward()
    out_dir = os.path.join("test", "fixtures", "lm", name)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), W)
    golden = {"input_ids": ids.float(), "loss_mask": loss_mask, "logits": logits, "loss": loss.reshape(1),
              "meta.r_alpha": torch.tensor([r, alpha], dtype=torch.float32)}
    for k, v in lora.items():
        golden[k] = v
        golden[k + ".grad"] = v.grad
    write_safetensors(os.path.join(out_dir, "golden.safetensors"), golden)
    print(name, "loss", loss.item())


make_case("tiny-tied-gqa", tied=True, heads=4, kv_heads=2, seed=11)
make_case("tiny-untied-gqa", tied=False, heads=4, kv_heads=1, seed=12)
