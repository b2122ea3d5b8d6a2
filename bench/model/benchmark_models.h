#pragma once
// The backbone shapes evomem's benchmarks measure with random weights (shared by bench/model
// and bench/memory).

#include <string>
#include <vector>

#include "model/config.h"

namespace evomem::bench {

namespace detail {
inline model::LlamaConfig benchmark_config_base() {
  model::LlamaConfig config;
  config.bos_token_ids = {1};
  config.eos_token_ids = {2};
  config.rope_theta = 500000.0;
  config.max_position_embeddings = 131072;
  return config;
}
}  // namespace detail

// 4 layers, hidden 256, 8 query / 2 KV heads of 32, vocabulary 32,000.
inline model::LlamaConfig small_benchmark_config() {
  model::LlamaConfig config = detail::benchmark_config_base();
  config.vocab_size = 32000;
  config.hidden_size = 256;
  config.intermediate_size = 688;
  config.num_hidden_layers = 4;
  config.num_attention_heads = 8;
  config.num_key_value_heads = 2;
  config.head_dim = 32;
  return config;
}

// Two layers of Llama-3-8B's shape; tied embeddings halve the memory, and the vocabulary
// projection costs the same either way.
inline model::LlamaConfig llama3_8b_layers_config() {
  model::LlamaConfig config = detail::benchmark_config_base();
  config.vocab_size = 128256;
  config.hidden_size = 4096;
  config.intermediate_size = 14336;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 32;
  config.num_key_value_heads = 8;
  config.head_dim = 128;
  config.tie_word_embeddings = true;
  return config;
}

}  // namespace evomem::bench
