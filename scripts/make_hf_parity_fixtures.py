#!/usr/bin/env python3
"""Reference logits from Hugging Face transformers for evomem's backbone parity test.

Run on a machine with PyTorch, transformers and safetensors installed:

    python3 scripts/make_hf_parity_fixtures.py [--out tests/model/data/hf_parity]

For each small random Llama configuration below (grouped-query attention, every RoPE
scaling type, tied and untied embeddings) it writes a folder with

    config.json, model.safetensors   the checkpoint, saved by LlamaForCausalLM.save_pretrained
    expected.safetensors             input_ids [rows, n] (I64) and logits [rows, n, vocab] (F32)
                                     from the eager float32 forward pass

Commit the folders (a few hundred KB); tests/model/checkpoint_test.cpp then checks evomem's
logits against them (HfParity.CommittedFixturesMatchTransformers).
"""

import argparse
import json
import os
import sys


def configurations():
    base = dict(
        vocab_size=113,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        max_position_embeddings=64,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
    )

    def variant(**changes):
        config = dict(base)
        config.update(changes)
        return config

    return {
        "gqa_default": variant(),
        "mha_tied": variant(num_key_value_heads=4, tie_word_embeddings=True),
        "mqa_linear": variant(num_key_value_heads=1, rope_scaling={"rope_type": "linear", "factor": 2.0}),
        # Sequences longer than max_position_embeddings exercise the NTK base growth.
        "gqa_dynamic": variant(max_position_embeddings=24, rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
        "gqa_llama3": variant(
            rope_theta=500000.0,
            max_position_embeddings=256,
            rope_scaling={
                "rope_type": "llama3",
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 32,
            },
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "model", "data", "hf_parity"))
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--length", type=int, default=40)
    args = parser.parse_args()

    try:
        import torch
        from safetensors.torch import save_file
        from transformers import LlamaConfig, LlamaForCausalLM
        import transformers
    except ImportError as error:
        sys.exit(f"make_hf_parity_fixtures.py needs torch, transformers and safetensors: {error}")

    for name, fields in configurations().items():
        torch.manual_seed(args.seed)
        config = LlamaConfig(**fields, torch_dtype="float32", attn_implementation="eager")
        model = LlamaForCausalLM(config).eval().to(torch.float32)
        # The default initialisation (std 0.02) makes nearly uniform logits; wider weights and
        # non-trivial norm weights make the comparison sensitive to every part of the forward.
        with torch.no_grad():
            for parameter_name, parameter in model.named_parameters():
                if "norm" in parameter_name:
                    parameter.copy_(1.0 + 0.1 * torch.randn_like(parameter))
                elif "embed_tokens" in parameter_name:
                    parameter.normal_(0.0, 1.0)
                else:
                    parameter.normal_(0.0, parameter.shape[-1] ** -0.5)
        folder = os.path.join(args.out, name)
        os.makedirs(folder, exist_ok=True)
        model.save_pretrained(folder, safe_serialization=True)
        input_ids = torch.randint(3, config.vocab_size, (args.rows, args.length), dtype=torch.int64)
        with torch.no_grad():
            logits = model(input_ids=input_ids, use_cache=False).logits.to(torch.float32)
        save_file(
            {"input_ids": input_ids.contiguous(), "logits": logits.contiguous()},
            os.path.join(folder, "expected.safetensors"),
            metadata={"transformers": transformers.__version__, "torch": torch.__version__},
        )
        with open(os.path.join(folder, "config.json")) as handle:
            json.load(handle)  # save_pretrained wrote a valid document
        print(f"{name}: logits {tuple(logits.shape)} -> {folder}")


if __name__ == "__main__":
    main()
