// `evomem backbone logits`: last-position logits of a token sequence, as JSON (cross-checks
// against other implementations).

#include <iostream>
#include <memory>

#include <ATen/ATen.h>

#include "apps/backbone_loading.h"
#include "apps/commands/commands.h"
#include "core/json_file.h"
#include "model/backbone.h"

namespace evomem::apps {
namespace {

struct LogitsOptions {
  std::string backbone;
  std::string tokens_file;
  std::int64_t chunk_size = 512;
  LoadFlags load;
};

int run_logits(const LogitsOptions& options) {
  const auto ids = read_tokens_file(options.tokens_file);
  model::Backbone backbone = load_backbone(options.backbone, options.load);
  backbone.reset(1);
  model::PrefillOptions prefill;
  prefill.chunk_size = options.chunk_size;
  const at::Tensor values =
      backbone.prefill(at::tensor(ids, at::kLong).unsqueeze(0), prefill)[0].to(at::kCPU).contiguous();
  const float* data = values.data_ptr<float>();
  core::Json output = {{"position", static_cast<std::int64_t>(ids.size()) - 1},
                       {"argmax", values.argmax().item<std::int64_t>()},
                       {"logits", std::vector<float>(data, data + values.numel())}};
  std::cout << output.dump() << "\n";
  return 0;
}

}  // namespace

void add_backbone_logits_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<LogitsOptions>();
  CLI::App& logits = registry.add(parent, "logits", "Last-position logits of a token sequence, as JSON",
                                  [options] { return run_logits(*options); });
  logits.add_option("--backbone", options->backbone, "Checkpoint folder")->required();
  logits.add_option("--tokens-file", options->tokens_file, "Token ids: a JSON array or white-space separated")
      ->required();
  logits.add_option("--chunk-size", options->chunk_size, "Prefill chunk (0: one step)")->capture_default_str();
  add_load_flags(logits, options->load);
}

}  // namespace evomem::apps
