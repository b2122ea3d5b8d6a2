#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "memory/titans/chunk.h"
#include "memory/titans/config.h"
#include "memory/titans/gates.h"
#include "memory/titans/memory.h"
#include "memory/titans/network.h"
#include "memory/titans/projection.h"
#include "memory/titans/random.h"

namespace evomem::memory {
namespace {

// A small float64 memory: input 6 -> width 4, MLP hidden width 8.
TitansConfig small_config(std::int64_t depth, std::int64_t chunk_size) {
  TitansConfig config;
  config.input_dim = 6;
  config.width = 4;
  config.depth = depth;
  config.expansion = 2;
  config.chunk_size = chunk_size;
  config.float64 = true;
  config.seed = 3;
  return config;
}

// The same with data-dependent gates.
TitansConfig dynamic_config(std::int64_t depth, std::int64_t chunk_size) {
  TitansConfig config = small_config(depth, chunk_size);
  config.gate_mode = TitansGateMode::kDataDependent;
  config.theta_max = 0.2;  // keeps the memory from diverging over the tests' ~60 tokens
  return config;
}

at::Tensor random_input(std::int64_t streams, std::int64_t tokens, std::int64_t dim, std::uint64_t seed) {
  at::manual_seed(seed);
  return at::randn({streams, tokens, dim}, at::kDouble);
}

// Data-dependent gates with random weights, so every token has its own α, η, θ.
TitansGates random_gates(const TitansConfig& config, std::uint64_t seed) {
  at::manual_seed(seed);
  auto linear = [&](double bias) {
    const at::Tensor weight = at::randn({config.input_dim}, at::kDouble) * 0.5;
    return TitansGateLinear{
        std::vector<double>(weight.data_ptr<double>(), weight.data_ptr<double>() + config.input_dim), bias};
  };
  return TitansGates::data_dependent(config, linear(-2.0), linear(1.0), linear(-1.0));
}

std::vector<at::Tensor> clones(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> out;
  for (const auto& tensor : tensors) out.push_back(tensor.clone());
  return out;
}

void expect_close(const std::vector<at::Tensor>& actual, const std::vector<at::Tensor>& expected, double tolerance,
                  const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i].sizes(), expected[i].sizes()) << what << " layer " << i;
    const double difference = (actual[i].to(at::kDouble) - expected[i].to(at::kDouble)).abs().max().item<double>();
    EXPECT_LE(difference, tolerance) << what << " layer " << i;
  }
}

void expect_equal(const std::vector<at::Tensor>& actual, const std::vector<at::Tensor>& expected,
                  const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_TRUE(at::equal(actual[i], expected[i])) << what << " layer " << i;
}

// The update written as the paper states it: per token, with every gradient of a chunk
// taken at the chunk's starting weights and materialised as a full outer product.
struct NaiveState {
  std::vector<at::Tensor> weights;
  std::vector<at::Tensor> momentum;
};

void naive_update(NaiveState& state, const TitansMemory& memory, const at::Tensor& x, std::int64_t chunk_size) {
  const at::Tensor keys = memory.projection().keys(x);
  const at::Tensor values = memory.projection().values(x);
  const TitansGateValues gates = memory.gates().compute(x);
  const std::int64_t streams = x.size(0);
  const std::int64_t tokens = x.size(1);
  const double clip = memory.config().grad_clip;
  for (std::int64_t start = 0; start < tokens; start += chunk_size) {
    const std::int64_t n = std::min(chunk_size, tokens - start);
    const std::vector<at::Tensor> gradients = titans_token_gradients(state.weights, keys.narrow(1, start, n),
                                                                     values.narrow(1, start, n));
    at::Tensor scale = at::ones({streams, n}, at::kDouble);
    if (clip > 0.0) {
      at::Tensor squared = at::zeros({streams, n}, at::kDouble);
      for (const auto& gradient : gradients) squared = squared + gradient.to(at::kDouble).square().sum({2, 3});
      scale = (clip / squared.sqrt()).clamp_max(1.0);
    }
    for (std::int64_t t = 0; t < n; ++t) {
      const auto gate = [&](const at::Tensor& values_bt) {
        return values_bt.select(1, start + t).view({streams, 1, 1});
      };
      const at::Tensor alpha = gate(gates.alpha);
      const at::Tensor eta = gate(gates.eta);
      const at::Tensor theta = gate(gates.theta) * scale.select(1, t).view({streams, 1, 1});
      for (std::size_t layer = 0; layer < state.weights.size(); ++layer) {
        const at::Tensor g = gradients[layer].select(1, t);
        state.momentum[layer] = (eta * state.momentum[layer] - theta * g).to(state.weights[layer].scalar_type());
        state.weights[layer] =
            ((1.0 - alpha) * state.weights[layer] + state.momentum[layer]).to(state.momentum[layer].scalar_type());
      }
    }
  }
}

NaiveState state_of(const TitansMemory& memory) { return {clones(memory.weights()), clones(memory.momentum())}; }

// ---------------------------------------------------------------------------------------

// Linear memory, d = 2, given projections W_K = W_Q = I and W_V = swap, zero initial weights,
// α = 0.1, η = 0.5, θ = 0.25; tokens x_1 = (1, 0), x_2 = (1, 1). By hand (g = 2 (W k − v) kᵀ):
//   t = 1: k = (1, 0), v = (0, 1), W k − v = (0, −1), g = [[0, 0], [−2, 0]]
//          S_1 = −0.25 g = [[0, 0], [0.5, 0]],  W_1 = 0.9·0 + S_1 = [[0, 0], [0.5, 0]]
//   t = 2: k = v = (1, 1), W_1 k − v = (−1, −0.5), g = [[−2, −2], [−1, −1]]
//          S_2 = 0.5 S_1 − 0.25 g = [[0.5, 0.5], [0.5, 0.25]]
//          W_2 = 0.9 W_1 + S_2 = [[0.5, 0.5], [0.95, 0.25]]
// With one chunk of 2 both gradients are at W_0 = 0: g_2 = [[−2, −2], [−2, −2]], so
//   S_2 = [[0.5, 0.5], [0.75, 0.5]], W_2 = [[0.5, 0.5], [1.2, 0.5]]
// (coefficients: c = (θ η_2, θ) = (0.125, 0.25), e = (θ (β_2 + η_2), θ) = (0.35, 0.25)).
TitansMemory hand_example_memory(std::int64_t chunk_size) {
  TitansConfig config;
  config.input_dim = 2;
  config.width = 2;
  config.depth = 1;
  config.projection = TitansProjectionKind::kGiven;
  config.silu = false;
  config.l2_normalize = false;
  config.chunk_size = chunk_size;
  config.init = TitansInit::kZero;
  config.float64 = true;
  const at::Tensor identity = at::eye(2, at::kDouble);
  const at::Tensor swap = at::tensor({0.0, 1.0, 1.0, 0.0}, at::kDouble).view({2, 2});
  return TitansMemory(config, TitansGates::constant(0.1, 0.5, 0.25),
                      TitansProjection::given(config, identity, swap, identity));
}

at::Tensor matrix(std::vector<double> values) { return at::tensor(values, at::kDouble).view({1, 2, 2}); }

TEST(TitansMemory, PerTokenUpdateMatchesHandComputedLinearExample) {
  TitansMemory memory = hand_example_memory(1);
  const at::Tensor x = at::tensor({1.0, 0.0, 1.0, 1.0}, at::kDouble).view({1, 2, 2});
  memory.update(x);
  EXPECT_TRUE(at::allclose(memory.momentum()[0], matrix({0.5, 0.5, 0.5, 0.25}), 0.0, 1e-15)) << memory.momentum()[0];
  EXPECT_TRUE(at::allclose(memory.weights()[0], matrix({0.5, 0.5, 0.95, 0.25}), 0.0, 1e-15)) << memory.weights()[0];
  // Retrieval reads W_2 q without changing it: q = (1, 0) -> first column of W_2.
  const at::Tensor y = memory.retrieve(at::tensor({1.0, 0.0}, at::kDouble).view({1, 1, 2}));
  EXPECT_TRUE(at::allclose(y.view({2}), at::tensor({0.5, 0.95}, at::kDouble), 0.0, 1e-15)) << y;
  EXPECT_TRUE(at::allclose(memory.weights()[0], matrix({0.5, 0.5, 0.95, 0.25}), 0.0, 1e-15));
}

TEST(TitansMemory, ChunkOfTwoMatchesHandComputedLinearExample) {
  TitansMemory memory = hand_example_memory(2);
  memory.update(at::tensor({1.0, 0.0, 1.0, 1.0}, at::kDouble).view({1, 2, 2}));
  EXPECT_TRUE(at::allclose(memory.momentum()[0], matrix({0.5, 0.5, 0.75, 0.5}), 0.0, 1e-15)) << memory.momentum()[0];
  EXPECT_TRUE(at::allclose(memory.weights()[0], matrix({0.5, 0.5, 1.2, 0.5}), 0.0, 1e-15)) << memory.weights()[0];

  const auto gate = [](std::vector<double> values) { return at::tensor(values, at::kDouble); };
  const TitansChunkCoefficients coefficients = titans_chunk_coefficients(gate({0.1, 0.1}), gate({0.5, 0.5}),
                                                                         gate({0.25, 0.25}));
  EXPECT_NEAR(coefficients.weight_decay.item<double>(), 0.81, 1e-15);
  EXPECT_NEAR(coefficients.momentum_decay.item<double>(), 0.25, 1e-15);
  EXPECT_NEAR(coefficients.momentum_carry.item<double>(), 0.5 * 0.9 + 0.25, 1e-15);  // η_1 β_2 + η_1 η_2
  EXPECT_TRUE(at::allclose(coefficients.momentum_weights, gate({0.125, 0.25}), 0.0, 1e-15))
      << coefficients.momentum_weights;
  EXPECT_TRUE(at::allclose(coefficients.weight_weights, gate({0.35, 0.25}), 0.0, 1e-15)) << coefficients.weight_weights;
}

TEST(TitansMemory, ChunkSizeOneIsThePerTokenRecurrence) {
  const TitansConfig config = dynamic_config(2, 1);
  TitansMemory memory(config, random_gates(config, 5));
  memory.reset(2);
  const at::Tensor x = random_input(2, 23, config.input_dim, 7);
  NaiveState naive = state_of(memory);
  memory.update(x);
  naive_update(naive, memory, x, 1);
  expect_close(memory.weights(), naive.weights, 1e-12, "weights");
  expect_close(memory.momentum(), naive.momentum, 1e-12, "momentum");

  // Any chunk size, fed one token per call, is per-token too (chunks start at each call).
  TitansConfig chunked_config = config;
  chunked_config.chunk_size = 16;
  TitansMemory chunked(chunked_config, memory.gates());
  chunked.reset(2);
  for (std::int64_t t = 0; t < x.size(1); ++t) chunked.update(x.narrow(1, t, 1));
  expect_close(chunked.weights(), memory.weights(), 1e-12, "one token per call");
}

TEST(TitansMemory, ChunkedClosedFormMatchesNaiveRecurrence) {
  for (const std::int64_t depth : {1, 2, 3}) {
    for (const std::int64_t chunk_size : {4, 16}) {
      for (const double clip : {0.0, 0.5}) {
        TitansConfig config = dynamic_config(depth, chunk_size);
        config.grad_clip = clip;
        TitansMemory memory(config, random_gates(config, 11));
        memory.reset(2);
        NaiveState naive = state_of(memory);
        const std::string what = "depth " + std::to_string(depth) + " chunk " + std::to_string(chunk_size) + " clip " +
                                 std::to_string(clip);
        // 37 and 21 tokens: neither a multiple of the chunk size; two calls carry the state over.
        for (const std::int64_t tokens : {37, 21}) {
          const at::Tensor x = random_input(2, tokens, config.input_dim, static_cast<std::uint64_t>(tokens));
          memory.update(x);
          naive_update(naive, memory, x, chunk_size);
        }
        expect_close(memory.weights(), naive.weights, 1e-12, what + " weights");
        expect_close(memory.momentum(), naive.momentum, 1e-12, what + " momentum");
      }
    }
  }
}

TEST(TitansMemory, ChunkCoefficientsHandleZeroEtaAndFullForgetting) {
  // Gates at the ends of their ranges mixed with ordinary ones; compared with the
  // recurrence on scalars (W and S as numbers, g_j = 1 for one j at a time).
  const at::Tensor alpha = at::tensor({0.2, 1.0, 0.0, 0.3, 0.5}, at::kDouble);
  const at::Tensor eta = at::tensor({0.0, 0.7, 0.9, 0.0, 0.4}, at::kDouble);
  const at::Tensor theta = at::tensor({0.1, 0.2, 0.3, 0.4, 0.5}, at::kDouble);
  const TitansChunkCoefficients coefficients = titans_chunk_coefficients(alpha, eta, theta);
  const auto run = [&](double w0, double s0, std::int64_t gradient_at) {
    double w = w0;
    double s = s0;
    for (std::int64_t t = 0; t < 5; ++t) {
      const double g = t == gradient_at ? 1.0 : 0.0;
      s = eta[t].item<double>() * s - theta[t].item<double>() * g;
      w = (1.0 - alpha[t].item<double>()) * w + s;
    }
    return std::make_pair(w, s);
  };
  EXPECT_NEAR(run(1.0, 0.0, -1).first, coefficients.weight_decay.item<double>(), 1e-15);
  EXPECT_NEAR(run(0.0, 1.0, -1).first, coefficients.momentum_carry.item<double>(), 1e-15);
  EXPECT_NEAR(run(0.0, 1.0, -1).second, coefficients.momentum_decay.item<double>(), 1e-15);
  for (std::int64_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(-run(0.0, 0.0, j).first, coefficients.weight_weights[j].item<double>(), 1e-15) << j;
    EXPECT_NEAR(-run(0.0, 0.0, j).second, coefficients.momentum_weights[j].item<double>(), 1e-15) << j;
  }
}

TEST(TitansMemory, AnalyticGradientsMatchFiniteDifferences) {
  for (const std::int64_t depth : {1, 2, 3}) {
    for (const bool options : {false, true}) {
      TitansConfig config = small_config(depth, 4);
      config.silu = options;
      config.l2_normalize = options;
      TitansMemory memory(config, TitansGates::published(config));
      memory.reset(2);
      const at::Tensor x = random_input(2, 3, config.input_dim, 17);
      const at::Tensor keys = memory.projection().keys(x);
      const at::Tensor values = memory.projection().values(x) * 3.0;  // a sizeable error in every output
      std::vector<at::Tensor> weights = clones(memory.weights());
      const std::vector<at::Tensor> gradients = titans_token_gradients(weights, keys, values);
      const double step = 1e-6;
      double worst = 0.0;
      for (std::size_t layer = 0; layer < weights.size(); ++layer) {
        auto flat = weights[layer].view({-1});
        for (std::int64_t i = 0; i < flat.size(0); ++i) {
          const double original = flat[i].item<double>();
          flat[i] = original + step;
          const at::Tensor plus = titans_loss(weights, keys, values);
          flat[i] = original - step;
          const at::Tensor minus = titans_loss(weights, keys, values);
          flat[i] = original;
          // Element i of W_l sits at (stream, row, column) = (i / (out·in), ...).
          const std::int64_t per_stream = weights[layer].size(1) * weights[layer].size(2);
          const std::int64_t stream = i / per_stream;
          const at::Tensor numeric = ((plus - minus) / (2.0 * step)).select(0, stream);  // [n]
          const at::Tensor analytic =
              gradients[layer].select(0, stream).reshape({keys.size(1), -1}).select(1, i % per_stream);
          worst = std::max(worst, (numeric - analytic).abs().max().item<double>());
        }
      }
      EXPECT_LT(worst, 1e-6) << "depth " << depth << " silu/l2 " << options;
    }
  }
}

TEST(TitansMemory, GradientNormsAreThoseOfTheMaterialisedGradients) {
  const TitansConfig config = small_config(3, 4);
  TitansMemory memory(config, TitansGates::published(config));
  const at::Tensor x = random_input(1, 5, config.input_dim, 19);
  const at::Tensor keys = memory.projection().keys(x);
  const at::Tensor values = memory.projection().values(x);
  TitansTrace trace;
  const at::Tensor output = titans_forward(memory.weights(), keys, &trace);
  const at::Tensor norms = titans_gradient_norms(trace, titans_deltas(memory.weights(), trace, output, values));
  at::Tensor squared = at::zeros({1, 5}, at::kDouble);
  for (const auto& gradient : titans_token_gradients(memory.weights(), keys, values))
    squared = squared + gradient.square().sum({2, 3});
  EXPECT_TRUE(at::allclose(norms, squared.sqrt(), 1e-12, 1e-14));
}

TEST(TitansMemory, FullForgettingWithoutLearningErases) {
  for (const std::int64_t chunk_size : {1, 4}) {
    const TitansConfig config = small_config(2, chunk_size);
    TitansMemory memory(config, TitansGates::constant(1.0, 0.9, 0.0));
    memory.update(random_input(1, 10, config.input_dim, 23));
    for (std::size_t layer = 0; layer < memory.weights().size(); ++layer) {
      EXPECT_EQ(memory.weights()[layer].abs().max().item<double>(), 0.0) << layer;
      EXPECT_EQ(memory.momentum()[layer].abs().max().item<double>(), 0.0) << layer;
    }
  }
}

TEST(TitansMemory, ZeroLearningRateNeverChangesTheMemory) {
  for (const std::int64_t chunk_size : {1, 4}) {
    const TitansConfig config = small_config(3, chunk_size);
    TitansMemory memory(config, TitansGates::constant(0.0, 0.9, 0.0));
    const std::vector<at::Tensor> before = clones(memory.weights());
    memory.update(random_input(1, 10, config.input_dim, 29));
    expect_equal(memory.weights(), before, "weights");
  }
}

TEST(TitansMemory, ZeroEtaRemovesMomentum) {
  const TitansConfig config = small_config(2, 1);
  TitansMemory memory(config, TitansGates::constant(0.05, 0.0, 0.3));
  const at::Tensor x = random_input(1, 9, config.input_dim, 31);
  memory.update(x.narrow(1, 0, 8));
  const std::vector<at::Tensor> before = clones(memory.weights());
  const at::Tensor last = x.narrow(1, 8, 1);
  const auto gradients = titans_token_gradients(before, memory.projection().keys(last),
                                                memory.projection().values(last));
  memory.update(last);
  for (std::size_t layer = 0; layer < before.size(); ++layer) {
    const at::Tensor expected_momentum = -0.3 * gradients[layer].select(1, 0);
    EXPECT_TRUE(at::allclose(memory.momentum()[layer], expected_momentum, 1e-12, 1e-14)) << layer;
    EXPECT_TRUE(at::allclose(memory.weights()[layer], 0.95 * before[layer] + expected_momentum, 1e-12, 1e-14)) << layer;
  }
}

TEST(TitansMemory, DataDependentGatesWithZeroWeightsAreConstantGates) {
  TitansConfig config = small_config(2, 4);
  config.gate_mode = TitansGateMode::kDataDependent;
  config.theta_max = 0.5;
  const std::vector<double> zeros(static_cast<std::size_t>(config.input_dim), 0.0);
  const TitansGates data_gates = TitansGates::data_dependent(config, {zeros, -3.0}, {zeros, 1.5}, {zeros, -0.5});
  TitansConfig constant_config = config;
  constant_config.gate_mode = TitansGateMode::kConstant;
  const auto sigmoid = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
  const TitansGates constant_gates = TitansGates::constant(sigmoid(-3.0), sigmoid(1.5), 0.5 * sigmoid(-0.5));
  TitansMemory data_memory(config, data_gates);
  TitansMemory constant_memory(constant_config, constant_gates);
  const at::Tensor x = random_input(1, 13, config.input_dim, 37);
  data_memory.update(x);
  constant_memory.update(x);
  expect_close(data_memory.weights(), constant_memory.weights(), 1e-13, "weights");
  expect_close(data_memory.momentum(), constant_memory.momentum(), 1e-13, "momentum");
}

TEST(TitansGates, DataDependentGatesReadUnitLengthInputs) {
  TitansConfig config = small_config(2, 4);
  config.gate_mode = TitansGateMode::kDataDependent;
  const TitansGates gates = random_gates(config, 5);
  const at::Tensor x = random_input(2, 7, config.input_dim, 43);
  const TitansGateValues plain = gates.compute(x);
  const TitansGateValues scaled = gates.compute(x * 37.5);
  EXPECT_TRUE(at::allclose(plain.alpha, scaled.alpha, 1e-12, 1e-15));
  EXPECT_TRUE(at::allclose(plain.eta, scaled.eta, 1e-12, 1e-15));
  EXPECT_TRUE(at::allclose(plain.theta, scaled.theta, 1e-12, 1e-15));
  // One token by hand: sigmoid(x/|x| . w + b).
  const auto genome = gates.to_genome();
  const at::Tensor token = x[1][3];
  const at::Tensor unit = token / token.norm();
  const at::Tensor w_alpha = at::tensor(std::vector<double>(genome.begin(), genome.begin() + config.input_dim));
  const double expected = 1.0 / (1.0 + std::exp(-(at::dot(unit, w_alpha).item<double>() + genome[config.input_dim])));
  EXPECT_NEAR(plain.alpha[1][3].item<double>(), expected, 1e-6);
}

TEST(TitansGates, AroundGivenValuesInEitherMode) {
  TitansConfig config = small_config(2, 4);
  const TitansGates constant = TitansGates::around(config, 2e-5, 0.99, 3e-3);
  EXPECT_DOUBLE_EQ(constant.alpha(), 2e-5);
  EXPECT_DOUBLE_EQ(constant.theta(), 3e-3);
  config.gate_mode = TitansGateMode::kDataDependent;
  config.theta_max = 0.1;
  const TitansGateValues values =
      TitansGates::around(config, 2e-5, 0.99, 3e-3).compute(random_input(1, 5, config.input_dim, 3));
  EXPECT_NEAR(values.alpha.max().item<double>(), 2e-5, 1e-15);
  EXPECT_NEAR(values.eta.min().item<double>(), 0.99, 1e-12);
  EXPECT_NEAR(values.theta.max().item<double>(), 3e-3, 1e-14);
  EXPECT_THROW(TitansGates::around(config, 2e-5, 0.99, 0.2), ConfigError);  // above theta_max
  EXPECT_THROW(TitansGates::around(config, 0.0, 0.99, 3e-3), InputError);   // no finite logit
  EXPECT_THROW(TitansGates::around(config, 2e-5, 1.0, 3e-3), InputError);
}

TEST(TitansGates, GenomeLayoutsAndPublishedValuesRoundTrip) {
  TitansConfig config = small_config(2, 4);
  const GenomeLayout constant_layout = TitansGates::layout(config);
  ASSERT_EQ(constant_layout.size(), 3);
  EXPECT_EQ(constant_layout.entries()[0].name, "alpha.logit");
  EXPECT_EQ(constant_layout.entries()[1].name, "eta.logit");
  EXPECT_EQ(constant_layout.entries()[2].name, "theta.log");

  const std::vector<float> published = TitansGates::published(config).to_genome();
  ASSERT_EQ(published.size(), 3U);
  EXPECT_NEAR(published[0], std::log(0.001 / 0.999), 1e-5);
  EXPECT_NEAR(published[1], std::log(0.9 / 0.1), 1e-5);
  EXPECT_NEAR(published[2], std::log(0.01), 1e-5);
  const TitansGates back = TitansGates::from_genome(config, published);
  EXPECT_NEAR(back.alpha(), kTitansPublishedAlpha, 1e-9);
  EXPECT_NEAR(back.eta(), kTitansPublishedEta, 1e-7);
  EXPECT_NEAR(back.theta(), kTitansPublishedTheta, 1e-8);

  config.gate_mode = TitansGateMode::kDataDependent;
  const GenomeLayout data_layout = TitansGates::layout(config);
  ASSERT_EQ(data_layout.size(), 3 * (config.input_dim + 1));
  const std::vector<std::string> names{"alpha.weight", "alpha.bias",   "eta.weight",
                                       "eta.bias",     "theta.weight", "theta.bias"};
  ASSERT_EQ(data_layout.entries().size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(data_layout.entries()[i].name, names[i]);
    EXPECT_EQ(data_layout.entries()[i].size, i % 2 == 0 ? config.input_dim : 1);
  }
  // Published values as data-dependent gates: zero weights, gates at the published values.
  const TitansGates data_published = TitansGates::published(config);
  const TitansGateValues values = data_published.compute(random_input(1, 3, config.input_dim, 41));
  EXPECT_NEAR(values.alpha.max().item<double>(), kTitansPublishedAlpha, 1e-12);
  EXPECT_NEAR(values.eta.min().item<double>(), kTitansPublishedEta, 1e-12);
  EXPECT_NEAR(values.theta.max().item<double>(), kTitansPublishedTheta, 1e-12);
  // Any genome survives from_genome -> to_genome exactly (floats in, floats out).
  std::vector<float> genome(static_cast<std::size_t>(data_layout.size()));
  for (std::size_t i = 0; i < genome.size(); ++i) genome[i] = 0.25f * static_cast<float>(i) - 2.0f;
  EXPECT_EQ(TitansGates::from_genome(config, genome).to_genome(), genome);

  EXPECT_THROW(TitansGates::from_genome(config, std::vector<float>(5, 0.0f)), InputError);
  EXPECT_THROW(TitansGates::constant(1.0, 0.9, 0.01).to_genome(), InputError);
  EXPECT_THROW(TitansGates::constant(0.1, 0.9, 0.0).to_genome(), InputError);
}

TEST(TitansMemory, BatchOfStreamsEqualsSeparateRuns) {
  TitansConfig config = dynamic_config(2, 4);
  config.grad_clip = 0.7;
  const TitansGates gates = random_gates(config, 43);
  TitansMemory batched(config, gates);
  batched.reset(3);
  const at::Tensor x = random_input(3, 19, config.input_dim, 47);
  batched.update(x);
  const at::Tensor retrieved = batched.retrieve(x);
  for (std::int64_t stream = 0; stream < 3; ++stream) {
    TitansMemory single(config, gates);
    single.update(x.narrow(0, stream, 1));
    for (std::size_t layer = 0; layer < single.weights().size(); ++layer) {
      EXPECT_TRUE(at::allclose(batched.weights()[layer].narrow(0, stream, 1), single.weights()[layer], 1e-12, 1e-14))
          << stream << " " << layer;
      EXPECT_TRUE(at::allclose(batched.momentum()[layer].narrow(0, stream, 1), single.momentum()[layer], 1e-12, 1e-14))
          << stream << " " << layer;
    }
    EXPECT_TRUE(at::allclose(retrieved.narrow(0, stream, 1), single.retrieve(x.narrow(0, stream, 1)), 1e-12, 1e-14))
        << stream;
  }
}

TEST(TitansMemory, SameSeedSameStateAndPinnedNumbers) {
  TitansConfig config = small_config(3, 4);
  config.float64 = false;
  const at::Tensor x = random_input(2, 30, config.input_dim, 53).to(at::kFloat);
  TitansMemory first(config, TitansGates::published(config));
  TitansMemory second(config, TitansGates::published(config));
  first.reset(2);
  second.reset(2);
  expect_equal(first.weights(), second.weights(), "initial weights");
  // Every stream starts at the same weights.
  EXPECT_TRUE(at::equal(first.weights()[0].select(0, 1), TitansMemory::initial_weights(config)[0]));
  first.update(x);
  second.update(x);
  expect_equal(first.weights(), second.weights(), "updated weights");
  expect_equal(first.momentum(), second.momentum(), "updated momentum");

  TitansConfig other = config;
  other.seed = 4;
  EXPECT_FALSE(at::equal(TitansMemory::initial_weights(other)[0], TitansMemory::initial_weights(config)[0]));
  EXPECT_FALSE(at::equal(TitansProjection(other).w_k(), TitansProjection(config).w_k()));

  // The generator is std::mt19937_64 with our own distribution code: these numbers are the
  // same on every machine, and a change here changes every stored search's meaning.
  const std::vector<double> pinned = titans_uniform(3, 0, 1);
  EXPECT_EQ(pinned, (std::vector<double>{0x1.d3788b85d31ap-4, 0x1.78dc4d9029704p-2, -0x1.b22c2dcc8db14p-1}));
}

TEST(TitansProjection, OrthogonalProjectionsAreOrthonormal) {
  for (const auto& [input_dim, width] : std::vector<std::pair<std::int64_t, std::int64_t>>{{6, 4}, {4, 6}, {8, 8}}) {
    TitansConfig config = small_config(1, 1);
    config.input_dim = input_dim;
    config.width = width;
    const TitansProjection projection(config);
    for (const at::Tensor& weight : {projection.w_k(), projection.w_v(), projection.w_q()}) {
      ASSERT_EQ(weight.sizes(), (std::vector<std::int64_t>{width, input_dim}));
      // Rows orthonormal when width <= input_dim, columns otherwise.
      const at::Tensor gram = width <= input_dim ? at::matmul(weight, weight.t()) : at::matmul(weight.t(), weight);
      EXPECT_TRUE(at::allclose(gram, at::eye(gram.size(0), at::kDouble), 0.0, 1e-13)) << input_dim << "x" << width;
    }
    EXPECT_FALSE(at::equal(projection.w_k(), projection.w_v()));
  }
  // SiLU and the L2 norm: unit-length keys and queries.
  TitansConfig config = small_config(1, 1);
  const TitansProjection projection(config);
  const at::Tensor keys = projection.keys(random_input(1, 5, config.input_dim, 59));
  EXPECT_TRUE(at::allclose(keys.norm(2, -1), at::ones({1, 5}, at::kDouble), 0.0, 1e-14));
}

TEST(TitansMemory, RetrieveDoesNotUpdate) {
  const TitansConfig config = small_config(2, 4);
  TitansMemory memory(config, TitansGates::published(config));
  const at::Tensor x = random_input(1, 6, config.input_dim, 61);
  memory.update(x);
  const std::vector<at::Tensor> before = clones(memory.weights());
  const at::Tensor first = memory.retrieve(x);
  const at::Tensor second = memory.retrieve(x);
  EXPECT_TRUE(at::equal(first, second));
  expect_equal(memory.weights(), before, "weights");
  EXPECT_TRUE(at::equal(first, memory.retrieve_queries(memory.projection().queries(x))));
}

TEST(TitansMemory, Float32TracksFloat64) {
  TitansConfig config = small_config(2, 16);
  const at::Tensor x = random_input(2, 64, config.input_dim, 67);
  TitansMemory reference(config, TitansGates::published(config));
  reference.reset(2);
  reference.update(x);
  config.float64 = false;
  TitansMemory single(config, TitansGates::published(config));
  single.reset(2);
  single.update(x.to(at::kFloat));
  EXPECT_EQ(single.weights()[0].scalar_type(), at::kFloat);
  expect_close(single.weights(), reference.weights(), 1e-5, "float32 weights");
}

// The error message of `body`'s InputError (empty when it throws none).
template <typename F>
std::string input_error(F&& body) {
  try {
    body();
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(TitansConfig, BadValuesAreInputErrorsNamingTheKey) {
  const auto with = [](auto change) {
    TitansConfig config = small_config(2, 4);
    change(config);
    return input_error([&] { config.validate(); });
  };
  EXPECT_NE(with([](TitansConfig& c) { c.depth = 0; }).find("titans.depth must be 1..4"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.depth = 5; }).find("titans.depth must be 1..4"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.width = 0; }).find("titans.width"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.input_dim = -1; }).find("titans.input_dim"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.expansion = 0; }).find("titans.expansion"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.chunk_size = 0; }).find("titans.chunk_size"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.grad_clip = -1.0; }).find("titans.grad_clip"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.theta_max = 0.0; }).find("titans.theta_max"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.init = TitansInit::kZero; }).find("titans.init"), std::string::npos);
  EXPECT_NE(with([](TitansConfig& c) { c.projection = TitansProjectionKind::kIdentity; }).find("titans.projection"),
            std::string::npos);
  EXPECT_EQ(with([](TitansConfig&) {}), "");
  EXPECT_NE(input_error([] { parse_titans_projection("random", "titans.projection"); }).find("titans.projection"),
            std::string::npos);
  EXPECT_EQ(parse_titans_gate_mode("data_dependent", "titans.gate_mode"), TitansGateMode::kDataDependent);

  EXPECT_NE(input_error([] { TitansGates::constant(1.5, 0.9, 0.01); }).find("alpha"), std::string::npos);
  EXPECT_NE(input_error([] { TitansGates::constant(0.1, -0.1, 0.01); }).find("eta"), std::string::npos);
  EXPECT_NE(input_error([] { TitansGates::constant(0.1, 0.9, -1.0); }).find("theta"), std::string::npos);

  TitansConfig given = small_config(1, 1);
  given.projection = TitansProjectionKind::kGiven;
  const at::Tensor right = at::zeros({given.width, given.input_dim});
  const at::Tensor wrong = at::zeros({given.input_dim, given.width});
  EXPECT_NE(input_error([&] { TitansProjection::given(given, wrong, right, right); }).find("W_K"), std::string::npos);
  EXPECT_NE(input_error([&] { TitansMemory(given, TitansGates::published(given)); }).find("titans.projection"),
            std::string::npos);
  TitansConfig narrower = given;
  narrower.width = 3;
  EXPECT_NE(input_error([&] {
              TitansMemory(narrower, TitansGates::published(given),
                           TitansProjection::given(given, right, right, right));
            }).find("projection was built for another config"),
            std::string::npos);

  const TitansConfig config = small_config(2, 4);
  TitansMemory memory(config, TitansGates::published(config));
  EXPECT_NE(input_error([&] { memory.update(random_input(2, 3, config.input_dim, 1)); }).find("streams"),
            std::string::npos);
  EXPECT_NE(input_error([&] { memory.update(random_input(1, 3, config.input_dim + 1, 1)); }).find("update input"),
            std::string::npos);
  TitansConfig data_config = config;
  data_config.gate_mode = TitansGateMode::kDataDependent;
  EXPECT_NE(input_error([&] { memory.set_gates(TitansGates::published(data_config)); }).find("titans.gate_mode"),
            std::string::npos);
}

}  // namespace
}  // namespace evomem::memory
