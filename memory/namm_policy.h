#pragma once
// The NAMM memory policy: at each update point it computes the token features of the layer
// (namm_features.h), scores every cached token with the shared scorer (BAM by default) and
// keeps the tokens the selection rule accepts.
//
// Selection (SelectionConfig): threshold (keep score >= 0, as published) or top-k to a
// budget; per-head retention (each head keeps its own set, default) or the published quirk
// where every head of a layer drops the same number of tokens (the minimum over heads of the
// tokens it would drop), keeping its best-scored ones; the newest token is always kept.
//
// Several genomes (a population's members) may be loaded at once: row r of the batch is then
// scored with genome r, features and scores computed for all rows together. Every row reads
// the same sequence, so the batch starts as one row and branches into one per genome at the
// first update, where the observation is the same for all of them.

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "memory/genome.h"
#include "memory/namm_config.h"
#include "memory/namm_features.h"
#include "memory/policy.h"
#include "memory/scorer.h"

namespace evomem::memory {

class NammPolicy : public Policy {
 public:
  explicit NammPolicy(const NammConfig& config);

  std::string name() const override { return "namm"; }
  // "namm:weights=FILE,..." when loaded from a file, else the selection options alone (the
  // genome itself cannot be written into a spec).
  std::string spec() const override;
  void reset() override { features_.reset(); }

  const NammConfig& config() const { return config_; }
  const GenomeLayout& layout() const { return scorer_->layout(); }
  // Loads a genome (same layout) into the scorer without reallocating.
  void load_genome(const std::vector<float>& values);
  // Loads `count` genomes (stored one after the other): the policy then runs one row per
  // genome, branching a one-row batch into `count` rows at its first update (branches()).
  void load_genomes(const std::vector<float>& values, std::int64_t count);
  std::int64_t branches() const override { return scorer_->genomes(); }
  // The first (or only) genome.
  Genome genome() const;

  NammFeatures& features() { return features_; }
  const NammFeatures& features() const { return features_; }
  const Scorer& scorer() const { return *scorer_; }
  // Scores of the last update of `layer`, [b, h, n]; undefined before.
  at::Tensor last_scores(std::int64_t layer) const;

  // The keep mask for given scores (exposed for tests of the selection rules).
  at::Tensor select_tokens(const at::Tensor& scores, const at::Tensor& positions, const at::Tensor& valid) const;

  void set_source(const std::string& weights_path) { source_ = weights_path; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  NammConfig config_;
  NammFeatures features_;
  std::unique_ptr<Scorer> scorer_;
  std::vector<at::Tensor> last_scores_;
  std::string source_;
};

}  // namespace evomem::memory
