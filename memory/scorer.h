#pragma once
// A NAMM token scorer: maps the features of every cached token of a layer to one score per
// token, for all sequences and KV heads in one call. Its parameters live in one flat device
// buffer whose named slices follow the genome layout, so loading a genome is one copy.
//
// The buffer may hold several genomes ([genomes, layout size]): row r of a batch is then
// scored with genome r (one batched product per projection, each row with its own weights),
// which is how a population's genomes share one forward pass. With one genome every row
// uses it.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "memory/genome.h"
#include "memory/namm_config.h"

namespace evomem::memory {

class Scorer {
 public:
  virtual ~Scorer() = default;
  const GenomeLayout& layout() const { return layout_; }
  // Copies `values` (layout().size() floats) into the parameter buffer, which then holds
  // this one genome; no reallocation unless it held several.
  void load(const std::vector<float>& values);
  // Loads `count` genomes stored one after the other in `values` (count * layout().size()).
  void load_genomes(const std::vector<float>& values, std::int64_t count);
  std::int64_t genomes() const { return buffer_.size(0); }
  // The parameters of genome `index` as a flat vector.
  std::vector<float> values(std::int64_t index = 0) const;
  // Moves the parameters to `device` (reallocates only if the device changes).
  void to(c10::Device device);
  c10::Device device() const;
  // The parameter buffer, [genomes, layout size] (tests check that load() keeps it in place).
  const at::Tensor& buffer() const { return buffer_; }

  // features [b, h, n, F] float32, positions / valid [b, h, n] -> scores [b, h, n] float32;
  // b must equal genomes() when there are several. Scores of invalid slots are unspecified.
  virtual at::Tensor score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const = 0;

 protected:
  // Declares the layout and allocates the zeroed buffer (one genome).
  void set_layout(GenomeLayout layout);
  // A view of the named tensor of the only genome (there must be one).
  at::Tensor parameter(const std::string& name) const;
  // x [b, m, in] -> x W^T + bias, [b, m, out], with the named weights [out_i, in] and biases
  // [out_i] stacked along out (one product for several projections), of genome r for row r
  // (or of the only genome for every row).
  at::Tensor affine(const at::Tensor& x, const std::vector<std::string>& weights,
                    const std::vector<std::string>& biases) const;

 private:
  // A view of the named tensor of every genome, [genomes, shape...].
  at::Tensor parameters(const std::string& name) const;

  GenomeLayout layout_;
  at::Tensor buffer_;
};

// Builds the scorer of `config` for `feature_dim` input features.
std::unique_ptr<Scorer> make_scorer(const ScorerConfig& config, std::int64_t feature_dim);

}  // namespace evomem::memory
