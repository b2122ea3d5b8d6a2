#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <complex>

#include "core/error.h"
#include "core/json_file.h"
#include "core/safetensors.h"
#include "memory/bam_scorer.h"
#include "memory/mlp_scorer.h"
#include "memory/namm_file.h"
#include "memory/namm_policy.h"
#include "memory/policy_spec.h"
#include "memory/spectrogram.h"
#include "model/backbone.h"
#include "model/generation.h"
#include "model/random_checkpoint.h"
#include "tests/memory/observation_builder.h"
#include "tests/model/backbone_test_support.h"
#include "tests/support/test_support.h"

namespace evomem::memory {
namespace {

using test_support::kept_slots;
using Slots = std::set<std::int64_t>;

// |DFT| of one windowed frame, in float64, straight from the definition.
std::vector<double> direct_magnitudes(const std::vector<double>& frame) {
  const auto n_fft = static_cast<std::int64_t>(frame.size());
  std::vector<double> out;
  for (std::int64_t k = 0; k <= n_fft / 2; ++k) {
    std::complex<double> sum = 0.0;
    for (std::int64_t t = 0; t < n_fft; ++t) {
      const double window = 0.5 - 0.5 * std::cos(2.0 * M_PI * static_cast<double>(t) / static_cast<double>(n_fft));
      sum += window * frame[static_cast<std::size_t>(t)] *
             std::polar(1.0, -2.0 * M_PI * static_cast<double>(k * t) / static_cast<double>(n_fft));
    }
    out.push_back(std::abs(sum));
  }
  return out;
}

// Expected EMA spectrogram of one token column: rows include the prepended tail.
std::vector<double> expected_ema(const std::vector<double>& rows, std::int64_t token_row, std::int64_t n_fft,
                                 std::int64_t hop, double coeff, const std::vector<double>& old_ema,
                                 std::int64_t queries) {
  const auto tail = n_fft - hop;
  const auto frames = (static_cast<std::int64_t>(rows.size()) - n_fft) / hop + 1;
  const double frame_coeff = std::pow(coeff, static_cast<double>(hop));
  std::vector<double> ema(static_cast<std::size_t>(n_fft / 2 + 1), 0.0);
  for (std::int64_t f = 0; f < frames; ++f) {
    // Frame f ends at update row f*hop + hop - 1; the token must exist by then.
    if (token_row > f * hop + hop - 1) continue;
    const std::vector<double> frame(rows.begin() + f * hop, rows.begin() + f * hop + n_fft);
    const auto magnitudes = direct_magnitudes(frame);
    const double weight = (1.0 - frame_coeff) * std::pow(frame_coeff, static_cast<double>(frames - 1 - f));
    for (std::size_t k = 0; k < ema.size(); ++k) ema[k] += weight * magnitudes[k];
  }
  (void)tail;
  for (std::size_t k = 0; k < ema.size() && !old_ema.empty(); ++k)
    ema[k] += std::pow(coeff, static_cast<double>(queries)) * old_ema[k];
  return ema;
}

// A causal random attention observation: queries are the newest q tokens of positions.
model::AttentionObservation random_observation(const at::Tensor& positions, std::int64_t queries, std::int64_t seed,
                                               std::int64_t layer = 0) {
  at::manual_seed(static_cast<std::uint64_t>(seed));
  const auto heads = positions.size(1);
  const auto n = positions.size(2);
  model::AttentionObservation observation;
  observation.layer = layer;
  const std::int64_t newest = positions.max().item<std::int64_t>();
  observation.tokens_seen = newest + 1;
  observation.positions = positions;
  observation.valid = at::ones({1, heads, n}, at::kBool);
  observation.key_norms = at::ones({1, heads, n});
  observation.query_positions = at::arange(newest - queries + 1, newest + 1, at::kLong).view({1, queries});
  const at::Tensor visible = positions.unsqueeze(2).le(
      observation.query_positions.view({1, 1, queries, 1}));  // [1, h, q, n]
  at::Tensor logits = at::randn({1, heads, queries, n}) * 2.0;
  logits.masked_fill_(visible.logical_not(), -1e30);
  observation.attention = at::softmax(logits, -1);
  return observation;
}

NammConfig raw_spectrogram_config(std::int64_t interval) {
  NammConfig config;
  config.update_interval = interval;
  config.spectrogram.normalize = false;
  config.recency.dims = 0;
  return config;
}

TEST(Spectrogram, MatchesADirectFloat64Dft) {
  const Spectrogram spectrogram(32, 16);
  at::manual_seed(3);
  const at::Tensor rows = at::rand({2, 3, 32 + 16 * 5, 7}, at::kFloat);
  const at::Tensor magnitudes = spectrogram.magnitudes(rows).to(at::kDouble);  // [2, 3, 6, 17, 7]
  ASSERT_EQ(magnitudes.sizes(), (std::vector<std::int64_t>{2, 3, 6, 17, 7}));
  const at::Tensor rows64 = rows.to(at::kDouble);
  double max_error = 0.0;
  double max_value = 0.0;
  for (std::int64_t b = 0; b < 2; ++b) {
    for (std::int64_t h = 0; h < 3; ++h) {
      for (std::int64_t token = 0; token < 7; ++token) {
        const at::Tensor column = rows64[b][h].select(1, token).contiguous();
        const std::vector<double> values(column.data_ptr<double>(), column.data_ptr<double>() + column.numel());
        for (std::int64_t f = 0; f < 6; ++f) {
          const auto expected = direct_magnitudes(
              std::vector<double>(values.begin() + f * 16, values.begin() + f * 16 + 32));
          for (std::int64_t k = 0; k < 17; ++k) {
            const double got = magnitudes[b][h][f][k][token].item<double>();
            max_error = std::max(max_error, std::abs(got - expected[static_cast<std::size_t>(k)]));
            max_value = std::max(max_value, std::abs(expected[static_cast<std::size_t>(k)]));
          }
        }
      }
    }
  }
  EXPECT_LE(max_error / max_value, 1e-6) << "max error " << max_error << " of " << max_value;
  // The window is the periodic Hann window.
  EXPECT_NEAR(spectrogram.window()[0].item<double>(), 0.0, 1e-15);
  EXPECT_NEAR(spectrogram.window()[16].item<double>(), 1.0, 1e-15);
  EXPECT_NEAR(spectrogram.window()[8].item<double>(), 0.5, 1e-15);
}

TEST(Spectrogram, WeightedSumInTokenChunksMatchesTheMagnitudes) {
  // 1000 tokens of 2 heads over 528 rows: several token chunks, the last one partial.
  const Spectrogram spectrogram(32, 16);
  at::manual_seed(8);
  const at::Tensor lead = at::rand({1, 2, 1000, 16}, at::kFloat).permute({0, 1, 3, 2});  // strided, as the EMA tail
  const at::Tensor rows = at::rand({1, 2, 512, 1000}, at::kFloat);
  const at::Tensor weights = at::rand({1, 2, 32, 1000}, at::kFloat);                     // 32 frames of 528 rows
  const at::Tensor got = spectrogram.weighted_sum(lead, rows, weights).to(at::kDouble);  // [1, 2, 17, 1000]
  const at::Tensor magnitudes =
      spectrogram.magnitudes(at::cat({lead, rows}, 2)).to(at::kDouble);  // [1, 2, 32, 17, 1000]
  const at::Tensor expected = (magnitudes * weights.to(at::kDouble).unsqueeze(3)).sum(2);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LE((got - expected).abs().max().item<double>() / expected.abs().max().item<double>(), 1e-6);
}

TEST(NammFeatures, EmaAcrossUpdatesOnlyCountsFramesAfterATokenExisted) {
  const std::int64_t q = 32;
  NammFeatures features(raw_spectrogram_config(q));
  // Update 1: tokens 0..31, all queries of this update.
  const at::Tensor positions1 = at::arange(q, at::kLong).view({1, 1, q}).expand({1, 2, q}).contiguous();
  const auto first = random_observation(positions1, q, 11);
  const at::Tensor out1 = features.compute(first).to(at::kDouble);  // [1, 2, 32, 17]
  const at::Tensor rows1 = first.attention.to(at::kDouble);
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<double>> ema1;
  double worst = 0.0;
  for (std::int64_t h = 0; h < 2; ++h) {
    for (std::int64_t token = 0; token < q; ++token) {
      std::vector<double> column(16, 0.0);  // zeros before the first update
      for (std::int64_t r = 0; r < q; ++r) column.push_back(rows1[0][h][r][token].item<double>());
      const auto expected = expected_ema(column, token, 32, 16, 0.99, {}, q);
      ema1[{h, token}] = expected;
      for (std::int64_t k = 0; k < 17; ++k)
        worst = std::max(worst, std::abs(out1[0][h][token][k].item<double>() - expected[static_cast<std::size_t>(k)]));
    }
  }
  EXPECT_LE(worst, 1e-6);
  // Tokens 16..31 exist only for the second frame: their first-frame share is absent.
  const double frame_coeff = std::pow(0.99, 16);
  EXPECT_GT(out1[0][0][0][0].item<double>(), 0.0);
  // Token 31 sees only the frame ending at row 31 (weight 1 - a); check the DC bin directly.
  {
    std::vector<double> column(16, 0.0);
    for (std::int64_t r = 0; r < q; ++r) column.push_back(rows1[0][0][r][31].item<double>());
    const auto last_frame = direct_magnitudes(std::vector<double>(column.begin() + 16, column.end()));
    EXPECT_NEAR(out1[0][0][31][0].item<double>(), (1.0 - frame_coeff) * last_frame[0], 1e-7);
  }

  // Update 2: token 3 was evicted; the cache compacted and gained tokens 32..63.
  std::vector<std::int64_t> kept;
  for (std::int64_t p = 0; p < 2 * q; ++p) {
    if (p != 3) kept.push_back(p);
  }
  const auto n2 = static_cast<std::int64_t>(kept.size());
  const at::Tensor positions2 = at::tensor(kept, at::kLong).view({1, 1, n2}).expand({1, 2, n2}).contiguous();
  const auto second = random_observation(positions2, q, 12);
  const at::Tensor out2 = features.compute(second).to(at::kDouble);
  const at::Tensor rows2 = second.attention.to(at::kDouble);
  worst = 0.0;
  for (std::int64_t h = 0; h < 2; ++h) {
    for (std::int64_t slot = 0; slot < n2; ++slot) {
      const std::int64_t position = kept[static_cast<std::size_t>(slot)];
      std::vector<double> column;
      // The previous update's last 16 rows, then this update's rows.
      for (std::int64_t r = q - 16; r < q; ++r)
        column.push_back(position < q ? rows1[0][h][r][position].item<double>() : 0.0);
      for (std::int64_t r = 0; r < q; ++r) column.push_back(rows2[0][h][r][slot].item<double>());
      const std::int64_t token_row = position - q;  // negative for old tokens
      const std::vector<double> old = position < q ? ema1[{h, position}] : std::vector<double>(17, 0.0);
      const auto expected = expected_ema(column, token_row, 32, 16, 0.99, old, q);
      for (std::int64_t k = 0; k < 17; ++k)
        worst = std::max(worst, std::abs(out2[0][h][slot][k].item<double>() - expected[static_cast<std::size_t>(k)]));
    }
  }
  EXPECT_LE(worst, 1e-6);
}

TEST(NammFeatures, RecencyEncodingAndNormalization) {
  NammConfig config;
  config.update_interval = 32;
  NammFeatures features(config);
  const at::Tensor encoding = features.recency_encoding(at::tensor({0, 5, 1000}, at::kLong));
  ASSERT_EQ(encoding.sizes(), (std::vector<std::int64_t>{3, 8}));
  for (std::int64_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(encoding[0][k].item<double>(), 0.0, 1e-7);
    EXPECT_NEAR(encoding[0][4 + k].item<double>(), 1.0, 1e-7);
    // The published base: frequencies 50000^(-k/4).
    const double frequency = std::pow(50000.0, -2.0 * static_cast<double>(k) / 8.0);
    EXPECT_NEAR(encoding[1][k].item<double>(), std::sin(5.0 * frequency), 1e-6);
    EXPECT_NEAR(encoding[2][4 + k].item<double>(), std::cos(1000.0 * frequency), 1e-6);
  }
  // Full features: 25 per token; ages from the newest position; spectrogram normalised.
  const at::Tensor positions = at::arange(32, at::kLong).view({1, 1, 32}).expand({1, 2, 32}).contiguous();
  const at::Tensor out = features.compute(random_observation(positions, 32, 5));
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 2, 32, 25}));
  const at::Tensor expected_recency = features.recency_encoding(31 - positions);
  EXPECT_TRUE(at::allclose(out.narrow(3, 0, 8), expected_recency));
  const at::Tensor spectral = out.narrow(3, 8, 17).to(at::kDouble);
  EXPECT_LT(spectral.mean({0, 1, 2}).abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(spectral.var({0, 1, 2}, /*unbiased=*/false).mean().item<double>(), 1.0, 1e-3);
  EXPECT_EQ(features.normalization().count, 64.0);
  // Frozen statistics stop moving.
  features.freeze_normalization();
  const auto before = features.normalization().mean;
  features.compute(random_observation(positions, 32, 6, 1));
  EXPECT_EQ(features.normalization().mean, before);
  EXPECT_EQ(features.normalization().count, 64.0);
}

TEST(BamScorer, DefaultShapeHas4172ParametersAndZeroGenomeScoresZero) {
  NammConfig config;
  NammPolicy policy(config);
  EXPECT_EQ(config.feature_dim(), 25);
  EXPECT_EQ(policy.layout().size(), 4172);
  EXPECT_EQ(policy.layout().find("bam.q.weight")->shape, (std::vector<std::int64_t>{32, 25}));
  EXPECT_EQ(policy.layout().find("bam.out.weight")->shape, (std::vector<std::int64_t>{50, 32}));
  EXPECT_EQ(policy.layout().find("score.bias")->offset, 4171);
  const at::Tensor features = at::randn({2, 3, 10, 25});
  const at::Tensor positions = at::arange(10, at::kLong).view({1, 1, 10}).expand({2, 3, 10});
  const at::Tensor valid = at::ones({2, 3, 10}, at::kBool);
  EXPECT_TRUE(at::equal(policy.scorer().score(features, positions, valid), at::zeros({2, 3, 10})));
  NammConfig mlp = config;
  mlp.scorer.type = ScorerType::kMlp;
  EXPECT_EQ(NammPolicy(mlp).layout().size(), 25 * 32 + 32 + 32 + 1);
  EXPECT_TRUE(at::equal(NammPolicy(mlp).scorer().score(features, positions, valid), at::zeros({2, 3, 10})));
}

TEST(BamScorer, BackwardMaskLetsTokensSeeOnlyThemselvesAndNewerTokens) {
  const at::Tensor positions = at::tensor({0, 2, 1, 7}, at::kLong).view({1, 1, 4});
  const at::Tensor valid = at::tensor({1, 1, 1, 0}, at::kLong).to(at::kBool).view({1, 1, 4});
  const at::Tensor mask = BamScorer::backward_mask(positions, valid)[0][0];
  const std::vector<std::vector<int>> expected = {{1, 1, 1, 0}, {0, 1, 0, 0}, {0, 1, 1, 0}, {0, 0, 0, 0}};
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(mask[i][j].item<bool>(), expected[i][j] == 1) << i << "," << j;
  }
  // Behaviour: changing an older token's features never changes a newer token's score.
  BamScorer scorer(25, 32);
  at::manual_seed(1);
  const at::Tensor genome = at::randn({scorer.layout().size()}) * 0.3;
  scorer.load(std::vector<float>(genome.data_ptr<float>(), genome.data_ptr<float>() + genome.numel()));
  at::Tensor features = at::randn({1, 2, 6, 25});
  const at::Tensor pos = at::arange(6, at::kLong).view({1, 1, 6}).expand({1, 2, 6});
  const at::Tensor all_valid = at::ones({1, 2, 6}, at::kBool);
  const at::Tensor before = scorer.score(features, pos, all_valid);
  features[0][0][0] += 1.0;  // token 0 of head 0 changes
  const at::Tensor after = scorer.score(features, pos, all_valid);
  EXPECT_NE(before[0][0][0].item<float>(), after[0][0][0].item<float>());
  EXPECT_TRUE(at::equal(before[0][0].narrow(0, 1, 5), after[0][0].narrow(0, 1, 5)));
  EXPECT_TRUE(at::equal(before[0][1], after[0][1]));
  features[0][0][5] += 1.0;  // the newest token is seen by every older token
  const at::Tensor newest_changed = scorer.score(features, pos, all_valid);
  EXPECT_FALSE(at::equal(newest_changed[0][0].narrow(0, 1, 4), after[0][0].narrow(0, 1, 4)));
}

// BAM straight from its definition: every query against every key under the backward mask.
at::Tensor direct_bam_scores(const Genome& genome, const at::Tensor& features, const at::Tensor& positions,
                             const at::Tensor& valid) {
  const auto param = [&](const std::string& name) {
    const GenomeEntry* entry = genome.layout.find(name);
    return at::tensor(genome.tensor(name), at::kDouble).view(entry->shape);
  };
  const at::Tensor x = features.to(at::kDouble);
  const at::Tensor q = at::linear(x, param("bam.q.weight"), param("bam.q.bias"));
  const at::Tensor k = at::linear(x, param("bam.k.weight"), param("bam.k.bias"));
  const at::Tensor v = at::linear(x, param("bam.v.weight"), param("bam.v.bias"));
  at::Tensor logits = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(q.size(-1)));
  logits.masked_fill_(BamScorer::backward_mask(positions, valid).logical_not(), -1e30);
  const at::Tensor modulation = at::linear(at::matmul(at::softmax(logits, -1), v), param("bam.out.weight"),
                                           param("bam.out.bias"));
  const auto f = x.size(-1);
  const at::Tensor modulated = x * (modulation.narrow(-1, f, f) + 1.0) + modulation.narrow(-1, 0, f);
  return at::linear(modulated, param("score.weight"), param("score.bias")).squeeze(-1);
}

TEST(BamScorer, BlockedScoresOverShuffledSlotsMatchTheDirectDefinition) {
  // Shuffled positions with invalid slots, long enough for several query blocks.
  BamScorer scorer(25, 32);
  at::manual_seed(12);
  const at::Tensor genome_values = at::randn({scorer.layout().size()}) * 0.3;
  Genome genome;
  genome.layout = scorer.layout();
  genome.values.assign(genome_values.data_ptr<float>(), genome_values.data_ptr<float>() + genome_values.numel());
  scorer.load(genome.values);
  const std::int64_t n = 1100;
  const at::Tensor positions =
      at::stack({at::randperm(n, at::kLong), at::randperm(n, at::kLong) * 3 + 7}).view({1, 2, n});
  const at::Tensor valid = at::rand({1, 2, n}).gt(0.2);
  const at::Tensor features = at::randn({1, 2, n, 25});
  const at::Tensor got = scorer.score(features, positions, valid).to(at::kDouble);
  const at::Tensor expected = direct_bam_scores(genome, features, positions, valid);
  const at::Tensor error = (got - expected).abs().masked_fill(valid.logical_not(), 0.0);
  EXPECT_LE(error.max().item<double>(), 1e-4 * (1.0 + expected.abs().max().item<double>()));
  // Repeated positions in a head (not produced by the cache) still follow the mask exactly.
  const at::Tensor repeated = positions.remainder(700);
  const at::Tensor got_repeated = scorer.score(features, repeated, valid).to(at::kDouble);
  const at::Tensor expected_repeated = direct_bam_scores(genome, features, repeated, valid);
  EXPECT_LE((got_repeated - expected_repeated).abs().masked_fill(valid.logical_not(), 0.0).max().item<double>(),
            1e-4 * (1.0 + expected_repeated.abs().max().item<double>()));
}

TEST(NammPolicy, ThresholdTopKAndUniformCountSemantics) {
  // Two heads of 6 tokens; head 0 has three negative scores, head 1 one.
  const at::Tensor scores =
      at::tensor({0.5, -1.0, 2.0, -0.5, -0.2, 0.1, 1.0, 1.0, -3.0, 0.0, 0.4, 0.3}, at::kFloat).view({1, 2, 6});
  const at::Tensor positions = at::arange(6, at::kLong).view({1, 1, 6}).expand({1, 2, 6});
  const at::Tensor valid = at::ones({1, 2, 6}, at::kBool);
  NammConfig config;
  // The published rule (the default): head 1 drops one token, so every head drops only its
  // lowest-scored one.
  ASSERT_TRUE(config.selection.uniform_count);
  const NammPolicy published(config);
  const at::Tensor uniform = published.select_tokens(scores, positions, valid);
  EXPECT_EQ(kept_slots(uniform, 0), (Slots{0, 2, 3, 4, 5}));
  EXPECT_EQ(kept_slots(uniform, 1), (Slots{0, 1, 3, 4, 5}));
  // A newest token scoring below 0 ranks first all the same, inside the count: no extra slot.
  const at::Tensor negative_newest = scores.clone();
  negative_newest[0][0][5] = -9.0;
  EXPECT_EQ(kept_slots(published.select_tokens(negative_newest, positions, valid), 0), (Slots{0, 2, 3, 4, 5}));
  // An invalid slot counts as dropped (padding in the published rectangular cache): head 1
  // drops 2, so both keep their 4 best-ranked valid slots.
  const at::Tensor padded = valid.clone();
  padded[0][1][3] = false;
  const at::Tensor keep_padded = published.select_tokens(scores, positions, padded);
  EXPECT_EQ(kept_slots(keep_padded, 0), (Slots{0, 2, 4, 5}));
  EXPECT_EQ(kept_slots(keep_padded, 1), (Slots{0, 1, 4, 5}));

  // evomem's per-head threshold: each head keeps what scores >= 0, and its newest token.
  config.selection.uniform_count = false;
  const NammPolicy per_head(config);
  const at::Tensor keep = per_head.select_tokens(scores, positions, valid);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{0, 2, 5}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{0, 1, 3, 4, 5}));  // score 0 is kept (>= 0)
  EXPECT_EQ(kept_slots(per_head.select_tokens(negative_newest, positions, valid), 0), (Slots{0, 2, 5}));

  // Top-k: 2 per head, the newest among them (ties go to the lower slot).
  config.selection.mode = SelectionMode::kTopK;
  config.selection.budget = Budget{false, 2};
  const at::Tensor top = NammPolicy(config).select_tokens(scores, positions, valid);
  EXPECT_EQ(kept_slots(top, 0), (Slots{2, 5}));
  EXPECT_EQ(kept_slots(top, 1), (Slots{0, 5}));
  config.selection.keep_newest = false;
  EXPECT_EQ(kept_slots(NammPolicy(config).select_tokens(scores, positions, valid), 1), (Slots{0, 1}));
}

std::vector<float> random_genome(const GenomeLayout& layout, std::uint64_t seed, double sigma) {
  at::manual_seed(seed);
  const at::Tensor values = at::randn({layout.size()}) * sigma;
  return std::vector<float>(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
}

TEST(Scorer, SeveralGenomesScoreEachRowWithItsOwn) {
  for (const ScorerType type : {ScorerType::kBam, ScorerType::kMlp}) {
    NammConfig config;
    config.scorer.type = type;
    NammPolicy batched(config);
    NammPolicy single(config);
    const std::int64_t size = batched.layout().size();
    std::vector<float> population;
    for (std::uint64_t g = 0; g < 3; ++g) {
      const auto genome = random_genome(batched.layout(), 30 + g, 0.3);
      population.insert(population.end(), genome.begin(), genome.end());
    }
    batched.load_genomes(population, 3);
    EXPECT_EQ(batched.branches(), 3);
    EXPECT_THROW(batched.load_genomes(population, 2), InputError);
    at::manual_seed(4);
    const at::Tensor features = at::randn({3, 2, 40, 25});
    // Row 1 with an evicted slot and a head of one token fewer, as a padded batch carries them.
    at::Tensor valid = at::ones({3, 2, 40}, at::kBool);
    valid[1][0][7] = false;
    valid[1][1][39] = false;
    const at::Tensor positions = at::arange(40, at::kLong).view({1, 1, 40}).expand({3, 2, 40}).contiguous();
    const at::Tensor scores = batched.scorer().score(features, positions, valid);
    for (std::int64_t g = 0; g < 3; ++g) {
      single.load_genome(std::vector<float>(population.begin() + g * size, population.begin() + (g + 1) * size));
      const at::Tensor alone = single.scorer().score(features.narrow(0, g, 1), positions.narrow(0, g, 1),
                                                     valid.narrow(0, g, 1));
      const at::Tensor mask = valid.narrow(0, g, 1);
      EXPECT_TRUE(at::allclose(scores.narrow(0, g, 1).masked_select(mask), alone.masked_select(mask), 1e-5, 1e-6))
          << "genome " << g;
    }
  }
}

TEST(NammPolicy, GenomeLoadsInPlaceAndDecisionsAreDeterministic) {
  NammConfig config;
  config.update_interval = 32;
  NammPolicy a(config);
  NammPolicy b(config);
  const void* storage = a.scorer().buffer().data_ptr();
  const auto genome = random_genome(a.layout(), 9, 0.5);
  a.load_genome(genome);
  b.load_genome(genome);
  EXPECT_EQ(a.scorer().buffer().data_ptr(), storage);
  EXPECT_EQ(a.genome().values, genome);
  EXPECT_THROW(a.load_genome(std::vector<float>(5, 0.0f)), InputError);
  const at::Tensor positions = at::arange(64, at::kLong).view({1, 1, 64}).expand({1, 2, 64}).contiguous();
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    const auto observation = random_observation(positions, 32, 20 + layer, layer);
    const at::Tensor keep_a = *a.on_update(observation);
    const at::Tensor keep_b = *b.on_update(observation);
    EXPECT_TRUE(at::equal(keep_a, keep_b));
    EXPECT_LT(keep_a.sum().item<std::int64_t>(), 128) << "a random genome should evict something";
    EXPECT_GT(keep_a.sum().item<std::int64_t>(), 0);
  }
  // After reset the same sequence gives the same decisions (normalisation frozen first).
  a.features().freeze_normalization();
  a.reset();
  const auto observation = random_observation(positions, 32, 20, 0);
  const at::Tensor first = *a.on_update(observation);
  a.reset();
  EXPECT_TRUE(at::equal(*a.on_update(observation), first));
}

TEST(NammFile, ExportImportIsBitIdenticalAndMismatchesAreRejected) {
  ::evomem::test_support::TempDirectory directory;
  NammConfig config;
  config.update_interval = 32;
  NammPolicy policy(config);
  policy.load_genome(random_genome(policy.layout(), 4, 0.4));
  const at::Tensor positions = at::arange(64, at::kLong).view({1, 1, 64}).expand({1, 2, 64}).contiguous();
  policy.on_update(random_observation(positions, 32, 1));
  policy.features().freeze_normalization();
  const NammWeights weights = namm_weights(policy);
  for (const std::string name : {"namm.safetensors", "namm.h5"}) {
    const auto path = directory.path() / name;
    save_namm(path, weights);
    const NammWeights loaded = load_namm(path, config);
    EXPECT_EQ(loaded.genome.values, weights.genome.values) << name;
    EXPECT_EQ(loaded.genome.layout, weights.genome.layout);
    EXPECT_EQ(loaded.normalization.mean, weights.normalization.mean);
    EXPECT_EQ(loaded.normalization.variance, weights.normalization.variance);
    EXPECT_TRUE(loaded.normalization.frozen);
    EXPECT_EQ(loaded.config.to_json(), weights.config.to_json());
    // Identical decisions from the original and the imported policy.
    auto imported = make_namm_policy(loaded);
    policy.reset();
    const auto observation = random_observation(positions, 32, 2);
    EXPECT_TRUE(at::equal(*policy.on_update(observation), *imported->on_update(observation))) << name;
    // Through a spec too.
    auto from_spec = make_policy("namm:weights=" + path.string());
    EXPECT_EQ(from_spec->name(), "namm");
    EXPECT_EQ(from_spec->update_interval(), 32);
    // Another configuration is rejected, naming the field.
    NammConfig other = config;
    other.spectrogram.n_fft = 64;
    try {
      load_namm(path, other);
      FAIL() << "mismatch accepted";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("spectrogram.n_fft: 32 in the file, 64 expected"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_THROW(load_namm(directory.path() / "missing.safetensors"), InputError);
}

// fuzz/corpus/namm_file/finding-huge-attention-dim.safetensors: a file's configuration sized
// the genome (and the scorer's tensors) before any tensor was checked, so attention_dim = 2^28
// asked for 32 GB and aborted; the layout now refuses genomes above 2^24 values.
TEST(NammFile, AConfigurationAskingForAHugeGenomeIsRejectedBeforeAllocating) {
  ::evomem::test_support::TempDirectory directory;
  const auto saved = directory.path() / "namm.safetensors";
  save_namm(saved, namm_weights(NammPolicy(NammConfig{})));
  const core::SafetensorsFile file(saved);
  core::Json config = core::parse_json(file.metadata().at("config"), "config");
  config["scorer"]["attention_dim"] = std::int64_t{1} << 28;
  core::SafetensorsWriter writer;
  for (const auto& [key, value] : file.metadata()) writer.set_metadata(key, value);
  writer.set_metadata("config", config.dump());
  const auto path = directory.path() / "huge.safetensors";
  writer.write(path);
  try {
    load_namm(path);
    FAIL() << "a 2^28-wide scorer was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("larger than 16777216 values"), std::string::npos) << error.what();
  }
}

TEST(NammPolicy, ZeroGenomeKeepsEverythingAndGenerationMatchesTheFullCache) {
  model::LlamaConfig config = model::test_support::tiny_config();
  config.max_position_embeddings = 512;
  model::Backbone backbone(config, model::random_weights(config, 7, c10::Device(c10::kCPU), at::kFloat),
                           c10::Device(c10::kCPU));
  std::vector<std::vector<std::int64_t>> prompts(2);
  for (std::int64_t i = 0; i < 150; ++i) prompts[0].push_back(3 + (i * 7) % 90);
  for (std::int64_t i = 0; i < 90; ++i) prompts[1].push_back(3 + (i * 13) % 90);
  model::GenerationOptions options;
  options.max_new_tokens = 40;
  options.chunk_size = 16;
  options.use_config_eos = false;
  options.stop_token_ids = {-1};
  const auto full = model::generate(backbone, prompts, options);
  const at::Tensor full_counts = backbone.cache().valid_counts(0).clone();
  auto policy = make_policy("namm:interval=32");
  options.observer = policy.get();
  const auto with_namm = model::generate(backbone, prompts, options);
  ASSERT_EQ(full.size(), with_namm.size());
  for (std::size_t i = 0; i < full.size(); ++i) EXPECT_EQ(full[i].tokens, with_namm[i].tokens);
  // Every slot survived.
  EXPECT_TRUE(at::equal(backbone.cache().valid_counts(0), full_counts));
  // A random genome evicts, and the model still runs.
  auto* namm = dynamic_cast<NammPolicy*>(policy.get());
  ASSERT_NE(namm, nullptr);
  namm->load_genome(random_genome(namm->layout(), 3, 0.5));
  namm->reset();
  model::generate(backbone, prompts, options);
  EXPECT_LT(backbone.cache().valid_counts(0).sum().item<std::int64_t>(), full_counts.sum().item<std::int64_t>());
}

TEST(NammSpec, SaysEverySelectionSettingThatChangesWhatIsKept) {
  EXPECT_EQ(make_policy("namm:interval=32")->spec(), "namm:selection=threshold,uniform_count=true,interval=32");
  // Two NAMMs with different thresholds or newest-token rules must not share a label.
  EXPECT_EQ(make_policy("namm:threshold=-0.25,keep_newest=false")->spec(),
            "namm:selection=threshold,threshold=-0.25,keep_newest=false,uniform_count=true,interval=512");
  EXPECT_EQ(make_policy("namm:selection=topk,budget=0.25")->spec(),
            "namm:selection=topk,budget=0.25,uniform_count=true,interval=512");
  for (const std::string text :
       {"namm:threshold=-0.25,keep_newest=false", "namm:selection=topk,budget=64,interval=16"}) {
    EXPECT_EQ(make_policy(make_policy(text)->spec())->spec(), make_policy(text)->spec()) << text;
  }
}

}  // namespace
}  // namespace evomem::memory
