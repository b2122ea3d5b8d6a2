#include "eval/titans_evaluation.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "memory/titans/memory.h"
#include "model/backbone.h"
#include "model/config.h"
#include "model/tokenizer.h"
#include "tasks/synthetic/tokenizer.h"

namespace evomem::eval {
namespace {

at::Tensor index_tensor(const std::vector<std::int64_t>& ids) {
  return at::tensor(at::ArrayRef<std::int64_t>(ids), at::kLong);
}

// Rows of `x` along `dim` scaled to unit L2 norm (zero rows stay zero).
at::Tensor unit(const at::Tensor& x, std::int64_t dim) {
  return x / x.norm(2, {dim}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace

metrics::Interval TitansScore::interval() const {
  if (queries == static_cast<std::int64_t>(streams.size())) return metrics::wilson_interval(correct, queries);
  metrics::BootstrapOptions options;
  options.resamples = 2000;
  return metrics::bootstrap_mean(streams, options);
}

void TitansScore::add(const TitansScore& other) {
  correct += other.correct;
  queries += other.queries;
  streams.insert(streams.end(), other.streams.begin(), other.streams.end());
}

at::Tensor whiten_token_embeddings(const at::Tensor& embeddings) {
  const at::Tensor table = embeddings.detach().to(at::kCPU, at::kDouble);
  const at::Tensor centred = table - table.mean(0, /*keepdim=*/true);
  const at::Tensor covariance = at::matmul(centred.t(), centred) / static_cast<double>(table.size(0));
  const auto [eigenvalues, eigenvectors] = at::linalg_eigh(covariance);
  // Directions the table does not use at all stay at zero instead of being blown up.
  const at::Tensor inverse_root = at::where(eigenvalues > 1e-12 * eigenvalues.max(), eigenvalues.rsqrt(),
                                            at::zeros_like(eigenvalues));
  const at::Tensor zca = at::matmul(eigenvectors * inverse_root, eigenvectors.t());
  return at::matmul(centred, zca) / std::sqrt(static_cast<double>(table.size(1)));
}

memory::TitansConfig titans_pair_config(const memory::TitansConfig& base, std::int64_t hidden) {
  memory::TitansConfig config = base;
  config.input_dim = 2 * hidden;
  config.width = hidden;
  config.projection = memory::TitansProjectionKind::kGiven;
  return config;
}

memory::TitansProjection titans_pair_projection(const memory::TitansConfig& config) {
  const auto dtype = memory::titans_dtype(config);
  const std::int64_t hidden = config.width;
  EVOMEM_CHECK(config.input_dim == 2 * hidden);
  const at::Tensor identity = at::eye(hidden, at::TensorOptions().dtype(dtype));
  const at::Tensor zero = at::zeros({hidden, hidden}, at::TensorOptions().dtype(dtype));
  const at::Tensor read_key = at::cat({identity, zero}, 1);  // [width, input_dim]
  const at::Tensor read_value = at::cat({zero, identity}, 1);
  return memory::TitansProjection::given(config, read_key, read_value, read_key);
}

TitansEvaluator::TitansEvaluator(const memory::TitansConfig& config, const at::Tensor& embeddings,
                                 TitansVocabulary vocabulary)
    : config_(config),
      embeddings_(whiten_token_embeddings(embeddings).to(memory::titans_dtype(config)).contiguous()),
      vocabulary_(std::move(vocabulary)),
      projection_(titans_pair_projection(config)) {
  if (embeddings_.dim() != 2 || 2 * embeddings_.size(1) != config_.input_dim) {
    throw InputError("Titans evaluation: embeddings must be [vocab, " + std::to_string(config_.input_dim / 2) + "]");
  }
  digits_ = candidates(vocabulary_.digits);
  words_ = candidates(vocabulary_.words);
}

TitansEvaluator::Candidates TitansEvaluator::candidates(const std::vector<std::int64_t>& ids) const {
  Candidates out;
  const at::Tensor rows = embeddings_.index_select(0, index_tensor(ids));
  out.vectors = unit(projection_.values(at::cat({at::zeros_like(rows), rows}, 1)), 1);
  for (std::size_t i = 0; i < ids.size(); ++i) out.row.emplace(ids[i], static_cast<std::int64_t>(i));
  return out;
}

at::Tensor TitansEvaluator::pair_features(const std::vector<std::vector<std::int64_t>>& keys,
                                          const std::vector<std::vector<std::int64_t>>& values) const {
  std::vector<at::Tensor> rows;
  for (std::size_t b = 0; b < keys.size(); ++b) {
    const at::Tensor key_rows = embeddings_.index_select(0, index_tensor(keys[b]));
    const at::Tensor value_rows = values.empty() ? at::zeros_like(key_rows)
                                                 : embeddings_.index_select(0, index_tensor(values[b]));
    rows.push_back(at::cat({key_rows, value_rows}, 1));
  }
  return at::stack(rows);  // [B, T, 2 * hidden]
}

TitansScore TitansEvaluator::score(const std::vector<TitansStream>& streams, const memory::TitansGates& gates) const {
  TitansScore result;
  if (streams.empty()) return result;
  std::vector<std::int64_t> right(streams.size(), 0);
  const auto& first = streams.front();
  for (const auto& stream : streams) {
    if (stream.task != first.task || stream.length() != first.length() ||
        stream.queries.size() != first.queries.size()) {
      throw InternalError("Titans streams of one batch must share task, length and query count");
    }
  }
  std::vector<std::vector<std::int64_t>> keys, values;
  for (const auto& stream : streams) {
    keys.push_back(stream.keys);
    values.push_back(stream.values);
  }
  const at::Tensor features = pair_features(keys, values);
  const Candidates& candidates = first.word_answers ? words_ : digits_;

  memory::TitansMemory titans(config_, gates, projection_);
  titans.reset(static_cast<std::int64_t>(streams.size()));
  std::int64_t read = 0;
  std::size_t query = 0;
  while (query < first.queries.size()) {
    const std::int64_t after = first.queries[query].after;
    if (after > read) titans.update(features.narrow(1, read, after - read));
    read = std::max(read, after);
    // Every query asked at this step, for every stream at once.
    std::size_t end = query;
    while (end < first.queries.size() && first.queries[end].after == after) ++end;
    std::vector<std::vector<std::int64_t>> asked(streams.size());
    for (std::size_t b = 0; b < streams.size(); ++b) {
      for (std::size_t q = query; q < end; ++q) {
        EVOMEM_CHECK(streams[b].queries[q].after == after);
        asked[b].push_back(streams[b].queries[q].key);
      }
    }
    const at::Tensor retrieved = titans.retrieve(pair_features(asked, {}));  // [B, Q, width]
    const at::Tensor similarity = at::matmul(unit(retrieved, 2), candidates.vectors.t());
    const at::Tensor best = similarity.argmax(2).contiguous();  // [B, Q]
    const auto* chosen = best.data_ptr<std::int64_t>();
    for (std::size_t b = 0; b < streams.size(); ++b) {
      for (std::size_t q = query; q < end; ++q) {
        const auto expected = candidates.row.find(streams[b].queries[q].answer);
        EVOMEM_CHECK(expected != candidates.row.end());
        const std::int64_t answered = chosen[b * (end - query) + (q - query)];
        right[b] += answered == expected->second ? 1 : 0;
        ++result.queries;
      }
    }
    query = end;
  }
  for (std::size_t b = 0; b < streams.size(); ++b) {
    result.correct += right[b];
    result.streams.push_back(static_cast<double>(right[b]) / static_cast<double>(first.queries.size()));
  }
  return result;
}

TitansVocabulary load_titans_vocabulary(const std::filesystem::path& backbone) {
  const auto tokenizer = model::Tokenizer::load(backbone);
  return TitansVocabulary::build(tasks::synthetic_tokenizer(tokenizer), model::load_config(backbone).vocab_size);
}

void check_titans_streams(const TitansVocabulary& vocabulary, const std::vector<TitansStreamTask>& tasks,
                          const std::vector<std::int64_t>& lengths, const TitansStreamOptions& options) {
  for (const auto task : tasks) {
    for (const auto length : lengths) check_titans_stream_settings(task, length, vocabulary, options);
  }
}

TitansEvaluator load_titans_evaluator(const std::filesystem::path& backbone, const memory::TitansConfig& base,
                                      TitansVocabulary vocabulary) {
  at::Tensor embeddings = model::Backbone::load(backbone).weights().embed_tokens;
  return TitansEvaluator(titans_pair_config(base, embeddings.size(1)), embeddings, std::move(vocabulary));
}

std::int64_t titans_feature_width(const std::filesystem::path& backbone) {
  return model::load_config(backbone).hidden_size;
}

TitansScore score_titans_task(const TitansEvaluator& evaluator, const memory::TitansGates& gates, TitansStreamTask task,
                              std::int64_t length, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                              std::int64_t batch, const TitansStreamOptions& options) {
  TitansScore total;
  for (std::int64_t start = 0; start < count; start += batch) {
    std::vector<TitansStream> streams;
    for (std::int64_t i = start; i < std::min(count, start + batch); ++i) {
      streams.push_back(make_titans_stream(task, length, seed, first + static_cast<std::uint64_t>(i),
                                           evaluator.vocabulary(), options));
    }
    total.add(evaluator.score(streams, gates));
  }
  return total;
}

}  // namespace evomem::eval
