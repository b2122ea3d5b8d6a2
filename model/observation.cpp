#include "model/observation.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace evomem::model {

AttentionObservation map_rows(const AttentionObservation& observation,
                              const std::function<at::Tensor(const at::Tensor&)>& transform) {
  const auto apply = [&](const at::Tensor& tensor) { return tensor.defined() ? transform(tensor) : tensor; };
  AttentionObservation mapped = observation;
  mapped.attention = apply(observation.attention);
  mapped.query_positions = apply(observation.query_positions);
  mapped.positions = apply(observation.positions);
  mapped.key_norms = apply(observation.key_norms);
  mapped.valid = apply(observation.valid);
  return mapped;
}

AttentionObservation repeat_rows(const AttentionObservation& observation, std::int64_t times) {
  return map_rows(observation, [times](const at::Tensor& tensor) { return tensor.repeat_interleave(times, 0); });
}

void AttentionRowBuffer::add(const at::Tensor& rows, const at::Tensor& query_positions) {
  if (rows.defined()) rows_.push_back(rows);
  query_positions_.push_back(query_positions);
}

at::Tensor AttentionRowBuffer::take_rows(std::int64_t n_slots) {
  EVOMEM_CHECK(!rows_.empty(), "attention rows requested but none were collected");
  std::vector<at::Tensor> padded;
  padded.reserve(rows_.size());
  for (const at::Tensor& rows : rows_) {
    const std::int64_t missing = n_slots - rows.size(3);
    EVOMEM_CHECK(missing >= 0, "attention rows cover more slots than the cache holds");
    padded.push_back(missing == 0 ? rows : at::constant_pad_nd(rows, {0, missing}, 0.0));
  }
  rows_.clear();
  return padded.size() == 1 ? padded.front() : at::cat(padded, 2);
}

at::Tensor AttentionRowBuffer::take_query_positions() {
  at::Tensor positions = query_positions_.size() == 1 ? query_positions_.front() : at::cat(query_positions_, 1);
  query_positions_.clear();
  return positions;
}

void AttentionRowBuffer::clear() {
  rows_.clear();
  query_positions_.clear();
}

}  // namespace evomem::model
