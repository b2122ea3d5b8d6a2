#pragma once
// A NAMM token scorer: maps the features of every cached token of a layer to one score per
// token, for all sequences and KV heads in one call. Its parameters live in one flat device
// buffer whose named slices follow the genome layout, so loading a genome is one copy.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <vector>

#include "memory/genome.h"
#include "memory/namm_config.h"

namespace evomem::memory {

class Scorer {
 public:
  virtual ~Scorer() = default;
  const GenomeLayout& layout() const { return layout_; }
  // Copies `values` (layout().size() floats) into the parameter buffer; no reallocation.
  void load(const std::vector<float>& values);
  // The current parameters as a flat vector.
  std::vector<float> values() const;
  // Moves the parameters to `device` (reallocates only if the device changes).
  void to(c10::Device device);
  c10::Device device() const;
  // The parameter buffer (tests check that load() keeps it in place).
  const at::Tensor& buffer() const { return buffer_; }

  // features [b, h, n, F] float32, positions / valid [b, h, n] -> scores [b, h, n] float32.
  // Scores of invalid slots are unspecified.
  virtual at::Tensor score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const = 0;

 protected:
  // Declares the layout and allocates the zeroed buffer.
  void set_layout(GenomeLayout layout);
  // A view of the named tensor inside the buffer.
  at::Tensor parameter(const std::string& name) const;

 private:
  GenomeLayout layout_;
  at::Tensor buffer_;
};

// Builds the scorer of `config` for `feature_dim` input features.
std::unique_ptr<Scorer> make_scorer(const ScorerConfig& config, std::int64_t feature_dim);

}  // namespace evomem::memory
