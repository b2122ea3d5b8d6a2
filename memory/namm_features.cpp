#include "memory/namm_features.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "memory/selection.h"

namespace evomem::memory {

void NormalizationStats::merge(const std::vector<double>& batch_mean, const std::vector<double>& batch_variance,
                               double batch_count) {
  if (batch_count <= 0) return;
  if (count <= 0) {
    mean = batch_mean;
    variance = batch_variance;
    count = batch_count;
    return;
  }
  const double total = count + batch_count;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    const double delta = batch_mean[i] - mean[i];
    const double m2 = variance[i] * count + batch_variance[i] * batch_count +
                      delta * delta * count * batch_count / total;
    mean[i] += delta * batch_count / total;
    variance[i] = m2 / total;
  }
  count = total;
}

core::Json NormalizationStats::to_json() const {
  return {{"mean", mean}, {"variance", variance}, {"count", count}, {"frozen", frozen}};
}

NormalizationStats NormalizationStats::from_json(const core::Json& json, std::int64_t bins, const std::string& where) {
  NormalizationStats stats;
  try {
    stats.mean = json.at("mean").get<std::vector<double>>();
    stats.variance = json.at("variance").get<std::vector<double>>();
    stats.count = json.at("count").get<double>();
    stats.frozen = json.at("frozen").get<bool>();
  } catch (const std::exception& error) {
    throw FormatError(where + ": normalization statistics must be {mean, variance, count, frozen}: " + error.what());
  }
  const auto expected = static_cast<std::size_t>(bins);
  if (stats.count > 0 && (stats.mean.size() != expected || stats.variance.size() != expected)) {
    throw FormatError(where + ": normalization statistics have " + std::to_string(stats.mean.size()) + " bins, " +
                      std::to_string(bins) + " expected");
  }
  return stats;
}

NammFeatures::NammFeatures(const NammConfig& config)
    : config_(config), spectrogram_(config.spectrogram.n_fft, config.spectrogram.hop) {
  config_.validate();
}

void NammFeatures::set_normalization(const NormalizationStats& stats) { normalization_ = stats; }

const at::Tensor& NammFeatures::ema(std::int64_t layer) const {
  static const at::Tensor kUndefined;
  if (layer < 0 || layer >= static_cast<std::int64_t>(layers_.size())) return kUndefined;
  return layers_[static_cast<std::size_t>(layer)].ema;
}

at::Tensor NammFeatures::recency_encoding(const at::Tensor& ages) const {
  const std::int64_t half = config_.recency.dims / 2;
  const at::Tensor exponents = at::arange(half, ages.options().dtype(at::kDouble)) * (-2.0 / config_.recency.dims);
  const at::Tensor frequencies = at::pow(config_.recency.max_period, exponents);
  const at::Tensor angles = ages.to(at::kDouble).unsqueeze(-1) * frequencies;
  return at::cat({at::sin(angles), at::cos(angles)}, -1).to(at::kFloat);
}

at::Tensor NammFeatures::compute(const model::AttentionObservation& observation) {
  if (!observation.attention.defined()) throw InternalError("NAMM features need attention probabilities");
  const auto layer = static_cast<std::size_t>(observation.layer);
  if (layers_.size() <= layer) layers_.resize(layer + 1);
  LayerState& state = layers_[layer];

  // [b, h, q, n]; with bf16_attention rounded to bfloat16 and back, like the published code's
  // half-precision attention (here after the average over each GQA group's query heads).
  const at::Tensor attention = config_.bf16_attention
                                   ? observation.attention.to(at::kBFloat16).to(observation.attention.scalar_type())
                                   : observation.attention;
  const at::Tensor& valid = observation.valid;
  const at::Tensor& positions = observation.positions;
  const auto batch = attention.size(0);
  const auto heads = attention.size(1);
  const auto queries = attention.size(2);
  const auto n = attention.size(3);
  const auto n_fft = config_.spectrogram.n_fft;
  const auto hop = config_.spectrogram.hop;
  const auto tail_rows = n_fft - hop;
  const auto bins = config_.spectrogram.bins();
  if (queries % hop != 0) {
    throw InputError("NAMM features: " + std::to_string(queries) +
                     " attention rows at an update are not a multiple of the hop " + std::to_string(hop) +
                     " (the update interval must be a multiple of the hop)");
  }
  const auto float_options = attention.options().dtype(at::kFloat);

  // Previous EMA and row tails, moved onto the current slots (zero for new tokens).
  at::Tensor old_ema;
  at::Tensor old_tail;
  if (state.ema.defined()) {
    old_ema = carry_by_position(state.ema, state.positions, state.valid, positions, valid).values;
    old_tail = carry_by_position(state.tail, state.positions, state.valid, positions, valid).values;
  } else {
    old_ema = at::zeros({batch, heads, n, bins}, float_options);
    old_tail = at::zeros({batch, heads, n, tail_rows}, float_options);
  }

  // Rows: the previous update's last rows, then this update's rows (joined chunk by chunk
  // inside the spectrogram, never as one [b, h, tail + q, n] copy).
  const at::Tensor tail_rows_view = old_tail.permute({0, 1, 3, 2});  // [b, h, tail, n]
  const std::int64_t frames = spectrogram_.frames(tail_rows + queries);

  // A token receives frame f only if it existed at the frame's last query row
  // (f * hop + hop - 1 in this update's rows); rows of earlier tokens are negative.
  const at::Tensor query_positions = observation.query_positions;                                // [b, q]
  const at::Tensor newest_query = std::get<0>(query_positions.max(1));                           // [b]
  const at::Tensor token_rows = positions - (newest_query - (queries - 1)).view({batch, 1, 1});  // [b, h, n]
  const at::Tensor frame_last_rows = at::arange(frames, positions.options()) * hop + (hop - 1);
  const at::Tensor exists = token_rows.unsqueeze(2).le(frame_last_rows.view({1, 1, frames, 1}));  // [b, h, F, n]

  const double coeff = config_.spectrogram.ema_coeff;
  const double frame_coeff = std::pow(coeff, static_cast<double>(hop));
  const at::Tensor exponents = at::arange(frames - 1, -1, -1, at::TensorOptions().dtype(at::kDouble));
  const at::Tensor frame_weights = (at::pow(frame_coeff, exponents) * (1.0 - frame_coeff)).to(float_options);
  const at::Tensor weights = exists.to(at::kFloat) * frame_weights.view({1, 1, frames, 1});  // [b, h, F, n]
  const at::Tensor update = spectrogram_.weighted_sum(tail_rows_view, attention, weights);   // [b, h, bins, n]
  at::Tensor ema = update.permute({0, 1, 3, 2}) +
                   old_ema * static_cast<float>(std::pow(coeff, static_cast<double>(queries)));

  state.ema = ema.contiguous();
  state.tail = attention.narrow(2, queries - tail_rows, tail_rows).to(at::kFloat).permute({0, 1, 3, 2}).contiguous();
  state.positions = positions.clone();
  state.valid = valid.clone();

  at::Tensor spectral = state.ema;
  if (config_.spectrogram.normalize) {
    if (!normalization_.frozen) {
      const at::Tensor mask = valid.unsqueeze(-1).to(at::kDouble);
      const double count = mask.sum().item<double>();
      if (count > 0) {
        const at::Tensor values = spectral.to(at::kDouble);
        const at::Tensor mean = (values * mask).sum({0, 1, 2}) / count;
        const at::Tensor variance = ((values - mean).pow(2) * mask).sum({0, 1, 2}) / count;
        const at::Tensor mean_cpu = mean.cpu().contiguous();
        const at::Tensor variance_cpu = variance.cpu().contiguous();
        normalization_.merge(
            std::vector<double>(mean_cpu.data_ptr<double>(), mean_cpu.data_ptr<double>() + bins),
            std::vector<double>(variance_cpu.data_ptr<double>(), variance_cpu.data_ptr<double>() + bins), count);
      }
    }
    if (normalization_.count > 0) {
      const at::Tensor mean = at::tensor(normalization_.mean, at::kDouble).to(spectral.device());
      const at::Tensor scale =
          at::tensor(normalization_.variance, at::kDouble).sqrt().clamp_min(1e-7).to(spectral.device());
      spectral = ((spectral.to(at::kDouble) - mean) / scale).to(at::kFloat);
    }
  }
  if (config_.recency.dims == 0) return spectral.contiguous();
  const at::Tensor newest_position = positions
                                         .masked_fill(valid.logical_not(), std::numeric_limits<std::int64_t>::min())
                                         .amax({1, 2}, true);  // [b, 1, 1]
  const at::Tensor ages = (newest_position - positions).clamp_min(0);
  return at::cat({recency_encoding(ages), spectral}, -1).contiguous();
}

}  // namespace evomem::memory
