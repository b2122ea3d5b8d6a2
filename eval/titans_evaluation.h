#pragma once
// Scores a Titans memory on streams of eval/titans_streams.h. The memory reads token
// features of a backbone: step t of a stream is x_t = [e(key_t); e(value_t)], the whitened
// embedding rows of its two tokens (see whiten_token_embeddings); keys and queries are read from the first half, values
// from the second (fixed block projections), so the memory is asked to learn e(key) -> e(value). A query is x =
// [e(key); 0]; it is answered right when, among the candidate values (the vocabulary's digits or words, through the
// same value map), the one most similar in cosine to the retrieved vector is the answer.

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "eval/titans_streams.h"
#include "memory/titans/config.h"
#include "memory/titans/gates.h"
#include "memory/titans/projection.h"
#include "metrics/bootstrap.h"

namespace evomem::eval {

// Token features from an embedding table [vocab, hidden]: centred and ZCA-whitened
// (covariance I / hidden, so rows have about unit norm), in float64. Small backbones' raw
// embeddings share one dominant direction (the built-in one: mean |cosine| 0.68 between rows,
// 0.07 after whitening), which would make every key look alike to the memory. ZCA rather than
// PCA whitening, so the result does not depend on the signs an eigensolver picks.
at::Tensor whiten_token_embeddings(const at::Tensor& embeddings);

// The memory configuration for pair features of `hidden`-wide embeddings: input_dim =
// 2 * hidden, width = hidden, projection = given; everything else from `base`.
memory::TitansConfig titans_pair_config(const memory::TitansConfig& base, std::int64_t hidden);
// The block projections above (identity on a half, zero on the other).
memory::TitansProjection titans_pair_projection(const memory::TitansConfig& config);

struct TitansScore {
  std::int64_t correct = 0;
  std::int64_t queries = 0;
  std::vector<double> streams;  // the accuracy of each stream, in order
  double accuracy() const { return queries > 0 ? static_cast<double>(correct) / static_cast<double>(queries) : 0.0; }
  // The 95% interval of accuracy(): Wilson's when every stream asks one query; otherwise a
  // percentile bootstrap over streams (queries of one stream are not independent).
  metrics::Interval interval() const;
  void add(const TitansScore& other);
};

class TitansEvaluator {
 public:
  // `embeddings` [vocab, hidden] raw (whitened here; kept on the CPU in the memory's dtype);
  // `config` as from titans_pair_config.
  TitansEvaluator(const memory::TitansConfig& config, const at::Tensor& embeddings, TitansVocabulary vocabulary);

  // Reads the streams as one batch of memory streams (they must share task and length) with
  // `gates` and answers their queries.
  TitansScore score(const std::vector<TitansStream>& streams, const memory::TitansGates& gates) const;

  const TitansVocabulary& vocabulary() const { return vocabulary_; }
  const memory::TitansConfig& config() const { return config_; }

 private:
  at::Tensor pair_features(const std::vector<std::vector<std::int64_t>>& keys,
                           const std::vector<std::vector<std::int64_t>>& values) const;

  memory::TitansConfig config_;
  at::Tensor embeddings_;
  TitansVocabulary vocabulary_;
  memory::TitansProjection projection_;
  // The answers a query can get: their value vectors and each token's row among them.
  struct Candidates {
    at::Tensor vectors;  // [candidates, width], unit rows
    std::map<std::int64_t, std::int64_t> row;
  };
  Candidates candidates(const std::vector<std::int64_t>& ids) const;

  Candidates digits_;
  Candidates words_;
};

// The token sets of a checkpoint folder's tokenizer (tokenizer.json and config.json only).
TitansVocabulary load_titans_vocabulary(const std::filesystem::path& backbone);
// check_titans_stream_settings for every task at every length: the up-front check before work.
void check_titans_streams(const TitansVocabulary& vocabulary, const std::vector<TitansStreamTask>& tasks,
                          const std::vector<std::int64_t>& lengths, const TitansStreamOptions& options);

// An evaluator on the token embeddings of a checkpoint folder (only the embedding table is
// kept) and its `vocabulary` (load_titans_vocabulary, loaded and checked before the weights).
// `base` gives everything but the pair layout.
TitansEvaluator load_titans_evaluator(const std::filesystem::path& backbone, const memory::TitansConfig& base,
                                      TitansVocabulary vocabulary);

// The feature width (hidden size) of a checkpoint folder, from its config.json alone.
std::int64_t titans_feature_width(const std::filesystem::path& backbone);

// Streams [first, first + count) of (task, length, seed), scored in batches of `batch`.
TitansScore score_titans_task(const TitansEvaluator& evaluator, const memory::TitansGates& gates, TitansStreamTask task,
                              std::int64_t length, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                              std::int64_t batch, const TitansStreamOptions& options = {});

}  // namespace evomem::eval
