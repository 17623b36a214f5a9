"""A reference Llama in plain torch with Hugging Face semantics (RMSNorm, rotate_half rotary positions,
grouped-query attention via repeat_kv, SwiGLU, tied or untied head) and PEFT-style LoRA, plus a small
safetensors reader/writer (F32/F16/BF16), so the scripts here need only torch."""
import json
import math
import struct

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = bytearray(data[8 + n + b : 8 + n + e])
        t = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.empty(0, dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"))
    h += " " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h.encode())
        for b in blobs:
            f.write(b)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rope(cfg, T):
    d = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    freqs = torch.outer(torch.arange(T).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def module_of(t):
    return "mlp" if t in ("gate_proj", "up_proj", "down_proj") else "self_attn"


def forward(cfg, W, lora, scale, ids):
    B, T = ids.shape
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv, hd = cfg.get("num_key_value_heads", nh), cfg.get("head_dim", H // nh)
    eps = cfg["rms_norm_eps"]
    cos, sin = rope(cfg, T)
    mask = torch.full((T, T), float("-inf")).triu(1)

    def lin(x, i, t):
        y = x @ W[f"model.layers.{i}.{module_of(t)}.{t}.weight"].T
        key = f"base_model.model.model.layers.{i}.{module_of(t)}.{t}"
        if key + ".lora_A.weight" in lora:
            y = y + scale * (x @ lora[key + ".lora_A.weight"].T @ lora[key + ".lora_B.weight"].T)
        return y

    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        x = rms_norm(h, W[f"model.layers.{i}.input_layernorm.weight"], eps)
        q = lin(x, i, "q_proj").view(B, T, nh, hd).transpose(1, 2)
        k = lin(x, i, "k_proj").view(B, T, nkv, hd).transpose(1, 2)
        v = lin(x, i, "v_proj").view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)  # HF repeat_kv: kv head h // groups serves head h
        v = v.repeat_interleave(nh // nkv, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, nh * hd)
        h = h + lin(o, i, "o_proj")
        y = rms_norm(h, W[f"model.layers.{i}.post_attention_layernorm.weight"], eps)
        g = lin(y, i, "gate_proj")
        h = h + lin(torch.nn.functional.silu(g) * lin(y, i, "up_proj"), i, "down_proj")
    h = rms_norm(h, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return h @ head.T


