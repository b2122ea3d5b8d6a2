#include "model/kv_cache.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "core/error.h"

namespace evomem::model {

KvCache::KvCache(const LlamaConfig& config, std::int64_t batch_size, c10::Device device, c10::ScalarType dtype,
                 std::int64_t initial_capacity)
    : layers_(static_cast<std::size_t>(config.num_hidden_layers)),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      initial_capacity_(std::max<std::int64_t>(initial_capacity, 1)),
      device_(device),
      dtype_(dtype) {
  EVOMEM_CHECK(batch_size > 0, "KV cache batch size must be positive");
  for (Layer& layer : layers_) layer.batch = batch_size;
}

void KvCache::reserve(Layer& layer, std::int64_t needed) const {
  const std::int64_t capacity = layer.keys.defined() ? layer.keys.size(2) : 0;
  if (needed <= capacity) return;
  // Doubling keeps appends amortised O(1) per token instead of a concatenation per step.
  const std::int64_t new_capacity = std::max({needed, 2 * capacity, initial_capacity_});
  const auto options = at::TensorOptions().device(device_);
  const std::int64_t batch = layer.batch;
  at::Tensor keys = at::empty({batch, kv_heads_, new_capacity, head_dim_}, options.dtype(dtype_));
  at::Tensor values = at::empty({batch, kv_heads_, new_capacity, head_dim_}, options.dtype(dtype_));
  at::Tensor positions = at::zeros({batch, kv_heads_, new_capacity}, options.dtype(at::kLong));
  at::Tensor valid = at::zeros({batch, kv_heads_, new_capacity}, options.dtype(at::kBool));
  if (layer.length > 0) {
    keys.narrow(2, 0, layer.length).copy_(layer.keys.narrow(2, 0, layer.length));
    values.narrow(2, 0, layer.length).copy_(layer.values.narrow(2, 0, layer.length));
    positions.narrow(2, 0, layer.length).copy_(layer.positions.narrow(2, 0, layer.length));
    valid.narrow(2, 0, layer.length).copy_(layer.valid.narrow(2, 0, layer.length));
  }
  layer.keys = keys;
  layer.values = values;
  layer.positions = positions;
  layer.valid = valid;
}

std::int64_t KvCache::append(std::int64_t layer_index, const at::Tensor& keys, const at::Tensor& values,
                             const at::Tensor& positions, const at::Tensor& token_valid) {
  compact(layer_index);
  Layer& layer = layers_.at(static_cast<std::size_t>(layer_index));
  const std::int64_t count = keys.size(2);
  EVOMEM_CHECK(keys.size(0) == layer.batch && keys.size(1) == kv_heads_ && keys.size(3) == head_dim_,
               "KV cache append: keys have the wrong shape");
  reserve(layer, layer.length + count);
  const std::int64_t first = layer.length;
  layer.keys.narrow(2, first, count).copy_(keys);
  layer.values.narrow(2, first, count).copy_(values);
  layer.positions.narrow(2, first, count).copy_(positions.unsqueeze(1));
  if (token_valid.defined()) {
    layer.valid.narrow(2, first, count).copy_(token_valid.unsqueeze(1));
    layer.all_valid = false;
  } else {
    layer.valid.narrow(2, first, count).fill_(true);
  }
  layer.length += count;
  return first;
}

namespace {

// A view of the first `length` slots, or an empty tensor of the layer's shape before any append.
at::Tensor used_slots(const at::Tensor& storage, std::int64_t length, std::vector<std::int64_t> empty_shape,
                      const at::TensorOptions& options) {
  return storage.defined() ? storage.narrow(2, 0, length) : at::empty(empty_shape, options);
}

}  // namespace

at::Tensor KvCache::keys(std::int64_t layer) const {
  const Layer& entry = layers_.at(static_cast<std::size_t>(layer));
  return used_slots(entry.keys, entry.length, {entry.batch, kv_heads_, 0, head_dim_},
                    at::TensorOptions().device(device_).dtype(dtype_));
}

at::Tensor KvCache::values(std::int64_t layer) const {
  const Layer& entry = layers_.at(static_cast<std::size_t>(layer));
  return used_slots(entry.values, entry.length, {entry.batch, kv_heads_, 0, head_dim_},
                    at::TensorOptions().device(device_).dtype(dtype_));
}

at::Tensor KvCache::positions(std::int64_t layer) const {
  const Layer& entry = layers_.at(static_cast<std::size_t>(layer));
  return used_slots(entry.positions, entry.length, {entry.batch, kv_heads_, 0},
                    at::TensorOptions().device(device_).dtype(at::kLong));
}

at::Tensor KvCache::valid(std::int64_t layer) const {
  const Layer& entry = layers_.at(static_cast<std::size_t>(layer));
  return used_slots(entry.valid, entry.length, {entry.batch, kv_heads_, 0},
                    at::TensorOptions().device(device_).dtype(at::kBool));
}

at::Tensor KvCache::key_norms(std::int64_t layer) const { return keys(layer).to(at::kFloat).norm(2, {-1}); }

at::Tensor KvCache::valid_counts(std::int64_t layer) const { return valid(layer).sum(-1); }

void KvCache::evict(std::int64_t layer_index, const at::Tensor& keep_mask, bool compact_now) {
  Layer& layer = layers_.at(static_cast<std::size_t>(layer_index));
  const std::vector<std::int64_t> expected = {layer.batch, kv_heads_, layer.length};
  if (keep_mask.sizes().vec() != expected || keep_mask.scalar_type() != at::kBool) {
    throw InternalError("KV cache evict: keep mask must be bool [" + std::to_string(layer.batch) + ", " +
                        std::to_string(kv_heads_) + ", " + std::to_string(layer.length) + "], got " +
                        c10::toString(keep_mask.scalar_type()) + " " + c10::str(keep_mask.sizes()));
  }
  if (layer.length == 0) return;
  layer.valid.narrow(2, 0, layer.length).logical_and_(keep_mask.to(device_));
  // Whether anything was dropped is only known on the device; compaction finds out.
  layer.all_valid = false;
  layer.compaction_pending = true;
  if (compact_now) compact(layer_index);
}

void KvCache::compact(std::int64_t layer_index) {
  Layer& layer = layers_.at(static_cast<std::size_t>(layer_index));
  if (!layer.compaction_pending) return;
  layer.compaction_pending = false;
  const at::Tensor valid = layer.valid.narrow(2, 0, layer.length);
  // Each row's largest head count and the smallest count of all, in one device-to-host read.
  const at::Tensor counts = valid.sum(-1);  // [batch, kv_heads]
  const at::Tensor read = at::cat({std::get<0>(counts.max(1)), counts.min().view({1})}).cpu();
  const auto* values = read.data_ptr<std::int64_t>();
  const std::vector<std::int64_t> row_lengths(values, values + layer.batch);
  const std::int64_t new_length = *std::max_element(row_lengths.begin(), row_lengths.end());
  const bool all_valid = values[layer.batch] == new_length;
  if (all_valid && new_length == layer.length) {  // nothing was dropped
    layer.all_valid = true;
    layer.row_starts.clear();
    return;
  }
  // Sorting the keys (invalid ? length : 0) + slot is a stable partition: valid slots first,
  // each group in slot order.
  const auto long_options = at::TensorOptions().device(device_).dtype(at::kLong);
  const at::Tensor slots = at::arange(layer.length, long_options);
  const at::Tensor sort_keys = at::logical_not(valid).to(at::kLong) * layer.length + slots;
  at::Tensor order = std::get<1>(sort_keys.sort(-1)).narrow(2, 0, new_length);
  at::Tensor new_valid = valid.gather(2, order);
  layer.row_starts.clear();
  for (const std::int64_t row_length : row_lengths) layer.row_starts.push_back(new_length - row_length);
  if (std::all_of(layer.row_starts.begin(), layer.row_starts.end(), [](std::int64_t s) { return s == 0; })) {
    layer.row_starts.clear();
  } else {
    // Row r's slots move right by its start: slot s takes the row's slot s - start.
    const at::Tensor starts = at::tensor(layer.row_starts, at::kLong).to(device_).view({layer.batch, 1, 1});
    const at::Tensor target = at::arange(new_length, long_options).view({1, 1, new_length}) - starts;
    const at::Tensor shifted = target.clamp_min(0).expand({layer.batch, kv_heads_, new_length}).contiguous();
    order = order.gather(2, shifted);
    new_valid = new_valid.gather(2, shifted).logical_and_(target.ge(0));
  }
  const at::Tensor order_d = order.unsqueeze(-1).expand({layer.batch, kv_heads_, new_length, head_dim_});
  const at::Tensor keys = layer.keys.narrow(2, 0, layer.length).gather(2, order_d);
  const at::Tensor values_moved = layer.values.narrow(2, 0, layer.length).gather(2, order_d);
  const at::Tensor positions = layer.positions.narrow(2, 0, layer.length).gather(2, order);
  layer.keys.narrow(2, 0, new_length).copy_(keys);
  layer.values.narrow(2, 0, new_length).copy_(values_moved);
  layer.positions.narrow(2, 0, new_length).copy_(positions);
  layer.valid.narrow(2, 0, new_length).copy_(new_valid);
  layer.length = new_length;
  layer.all_valid = all_valid;
}

void KvCache::repeat_rows(std::int64_t layer_index, std::int64_t times) {
  EVOMEM_CHECK(times >= 1, "KV cache: rows can only be repeated a positive number of times");
  Layer& layer = layers_.at(static_cast<std::size_t>(layer_index));
  layer.batch *= times;
  if (times == 1 || !layer.keys.defined()) return;
  layer.keys = layer.keys.repeat_interleave(times, 0);
  layer.values = layer.values.repeat_interleave(times, 0);
  layer.positions = layer.positions.repeat_interleave(times, 0);
  layer.valid = layer.valid.repeat_interleave(times, 0);
  if (!layer.row_starts.empty()) {
    std::vector<std::int64_t> starts;
    for (const std::int64_t start : layer.row_starts) starts.insert(starts.end(), times, start);
    layer.row_starts = std::move(starts);
  }
}

void KvCache::clear() {
  for (Layer& layer : layers_) {
    layer.length = 0;
    layer.all_valid = true;
    layer.compaction_pending = false;
    layer.row_starts.clear();
  }
}

}  // namespace evomem::model
