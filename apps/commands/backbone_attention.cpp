// `evomem backbone attention`: where each head looks from one position of a prompt, and which
// RoPE frequency pairs decide its scores.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>

#include "apps/backbone_loading.h"
#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "model/threads.h"
#include "model/tokenizer.h"
#include "training/backbone_attention.h"
#include "training/backbone_trainer_model.h"

namespace evomem::apps {
namespace {

struct AttentionOptions {
  std::string backbone;
  std::string prompt_file;
  std::int64_t position = -1;  // negative: counted from the end
  std::int64_t top = 3;
  std::int64_t target = -1;  // negative: none
  int threads = model::kDefaultThreads;
};

// One line per head: its most attended positions; with a target, how the target's score
// compares with the best other position's, frequency pair by pair.
int attention_command(const AttentionOptions& options) {
  if (options.top < 1) throw InputError("backbone attention: --top must be at least 1");
  model::apply_threads(options.threads);
  const auto model = training::TrainableLlama::from_checkpoint(options.backbone);
  const auto tokenizer = model::Tokenizer::load(options.backbone);
  const auto tokens = tokenizer.encode(core::read_text_file(options.prompt_file), true);
  const auto length = static_cast<std::int64_t>(tokens.size());
  const std::int64_t query = options.position < 0 ? length + options.position : options.position;
  if (query < 0 || query >= length) {
    throw InputError("backbone attention: --position " + std::to_string(options.position) + " is outside the " +
                     std::to_string(length) + " tokens of " + options.prompt_file);
  }
  if (options.target > query) {
    throw InputError("backbone attention: --target " + std::to_string(options.target) +
                     " comes after the query position " + std::to_string(query) +
                     "; a head only sees positions up to it");
  }
  const auto piece = [&](std::int64_t position) { return core::Json(tokenizer.decode({tokens[position]})).dump(); };
  std::printf("%lld tokens; query position %lld %s\n", static_cast<long long>(length), static_cast<long long>(query),
              piece(query).c_str());
  for (const auto& head : training::attention_at(model, tokens, query)) {
    const auto& p = head.probabilities;
    std::vector<std::int64_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    const auto shown = std::min<std::size_t>(static_cast<std::size_t>(options.top), order.size());
    // At least two ranked, so that the best position other than the target is known.
    const auto ranked = std::min<std::size_t>(std::max<std::size_t>(shown, 2), order.size());
    std::partial_sort(order.begin(), order.begin() + ranked, order.end(), [&](auto a, auto b) { return p[a] > p[b]; });
    std::printf("layer %lld head %lld:", static_cast<long long>(head.layer), static_cast<long long>(head.head));
    for (std::size_t i = 0; i < shown; ++i) {
      std::printf(" %lld %s %.3f", static_cast<long long>(order[i]), piece(order[i]).c_str(), p[order[i]]);
    }
    if (options.target >= 0) {
      const auto other = order[0] != options.target ? order[0] : order[std::min<std::size_t>(1, ranked - 1)];
      const auto score = [&](std::int64_t position) {
        float sum = 0.0f;
        for (const auto& pair : head.pair_scores) sum += pair[position];
        return sum;
      };
      std::printf(" | target %lld %.3f, score %.2f vs %.2f at %lld; by pair:", static_cast<long long>(options.target),
                  p[options.target], score(options.target), score(other), static_cast<long long>(other));
      for (std::size_t i = 0; i < head.pair_scores.size(); ++i) {
        std::printf(" %zu:%+.1f", i, head.pair_scores[i][options.target] - head.pair_scores[i][other]);
      }
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void add_backbone_attention_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<AttentionOptions>();
  CLI::App& attention = registry.add(
      parent, "attention", "Where each head looks from one position of a prompt, and which RoPE pairs decide it",
      [options] { return attention_command(*options); });
  attention.add_option("--backbone", options->backbone, "Checkpoint folder (with tokenizer.json)")->required();
  attention.add_option("--prompt-file", options->prompt_file, "Prompt text (the whole file; BOS is added)")->required();
  attention.add_option("--position", options->position, "Query position (negative: from the end)")
      ->capture_default_str();
  attention.add_option("--top", options->top, "Positions shown per head")->capture_default_str();
  attention.add_option("--target", options->target,
                       "Also compare this position's score with the best other one's, per frequency pair");
  add_threads_flag(attention, options->threads);
}

}  // namespace evomem::apps
