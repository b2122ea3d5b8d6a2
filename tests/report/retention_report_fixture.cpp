// Writes retention reports from hand-made records for the browser test
// (report_browser_test.sh): OUT/single (one policy, with a fitness history), OUT/compare (two
// policies) and OUT/broken (the single page with a script error planted, which the browser
// test must reject). Usage: retention_report_fixture OUT_DIR

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "report/retention_report.h"
#include "report/retention_summary.h"

namespace {

using evomem::report::SampleRetention;
using evomem::report::TokenClass;

// Text that has broken pages before: markup, entities, quotes, a split two-byte character,
// line breaks, a special token.
const std::vector<std::string> kWords{"The",  " cat", " </script>", "<b>",  " &amp;", " \"quoted\"", "\n",
                                      " caf", "\xC3", "\xA9",       " 42",  ",",      " <!--",       " sat",
                                      "\n\n", " on",  " the",       " mat", "."};

SampleRetention make_sample(const std::string& id, std::int64_t tokens, std::int64_t layers, std::int64_t kv_heads,
                            std::int64_t cache, std::uint32_t seed) {
  SampleRetention sample;
  sample.task = "fixture";
  sample.id = id;
  sample.policy = "fixture";
  sample.prediction = "the <mat> & \"more\"";
  sample.score = static_cast<double>(seed % 7) / 7.0;
  for (std::int64_t t = 0; t < tokens; ++t) {
    const bool special = t == 0;
    const std::string piece = special ? "<|begin_of_text|>" : kWords[static_cast<std::size_t>(t) % kWords.size()];
    sample.token_ids.push_back(1000 + (t * 37) % 500);
    sample.token_texts.push_back(piece);
    sample.char_begin.push_back(static_cast<std::int64_t>(sample.text.size()));
    sample.text += piece;
    sample.char_end.push_back(static_cast<std::int64_t>(sample.text.size()));
    sample.token_classes.push_back(special ? TokenClass::kSpecial : evomem::report::classify_token(piece, false));
  }
  sample.preamble_end = 6;
  sample.prompt_tokens = tokens - 8;
  sample.spans.push_back({"answer", tokens / 2, tokens / 2 + 5});
  sample.spans.push_back({"<needle&>", tokens / 4, tokens / 4 + 3});
  sample.layers = layers;
  sample.kv_heads = kv_heads;
  // Recency with a per-layer cache size and some per-head noise from a fixed LCG, plus a few
  // heads that keep the first tokens (attention sinks).
  std::uint32_t state = seed;
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    std::vector<std::int32_t> evicted(static_cast<std::size_t>(kv_heads * tokens));
    const std::int64_t layer_cache = cache * (layer + 1) / layers;
    for (std::int64_t head = 0; head < kv_heads; ++head) {
      for (std::int64_t t = 0; t < tokens; ++t) {
        state = state * 1664525u + 1013904223u;
        const bool recent = t >= tokens - layer_cache;
        const bool sink = t < 4 && head % 2 == 0;
        const bool lucky = (state >> 24) < 20;
        evicted[static_cast<std::size_t>(head * tokens + t)] = recent || sink || lucky
                                                                   ? evomem::report::kNeverEvicted
                                                                   : static_cast<std::int32_t>(t + 32);
      }
    }
    sample.evicted_at.push_back(std::move(evicted));
  }
  return sample;
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_report(const std::filesystem::path& folder, const evomem::report::ReportInput& input) {
  std::filesystem::create_directories(folder);
  write_file(folder / "report.html", evomem::report::render_retention_report(input));
  for (const auto& [name, svg] : evomem::report::render_retention_report_svgs(input)) write_file(folder / name, svg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: retention_report_fixture OUT_DIR\n";
    return 2;
  }
  try {
    const std::filesystem::path out_dir = argv[1];
    std::filesystem::remove_all(out_dir);
    const std::vector<SampleRetention> recency{make_sample("s1 <one>", 300, 4, 4, 120, 1),
                                               make_sample("s2", 700, 4, 4, 200, 2),
                                               make_sample("s3 \"three\"", 1500, 4, 4, 400, 3)};
    const std::vector<SampleRetention> other{make_sample("s1 <one>", 300, 4, 4, 40, 4),
                                             make_sample("s2", 700, 4, 4, 60, 5),
                                             make_sample("s3 \"three\"", 1500, 4, 4, 90, 6)};

    evomem::report::ReportInput input;
    input.title = "Retention </script><script>alert('x')</script> & fixture";
    input.backbone = "built-in <small>";
    input.policies.push_back(
        {"recency:cache=400,sink=<4>&\"x\"", &recency, evomem::report::summarize_retention(recency)});
    evomem::report::FitnessHistory fitness{"runs/<fixture>.h5", {}, {}, {}, {}};
    for (int generation = 0; generation < 25; ++generation) {
      fitness.generation.push_back(generation);
      fitness.best.push_back(0.3 + 0.02 * generation);
      fitness.mean.push_back(0.2 + 0.015 * generation);
      fitness.median.push_back(0.21 + 0.014 * generation);
    }
    input.fitness = fitness;
    write_report(out_dir / "single", input);

    // The same page with a script error planted after the error recorder: the browser test
    // has to notice it.
    std::string broken = evomem::report::render_retention_report(input);
    const std::string strict = "'use strict';";
    broken.replace(broken.find(strict), strict.size(), strict + " notDefinedAnywhere();");
    std::filesystem::create_directories(out_dir / "broken");
    write_file(out_dir / "broken" / "report.html", broken);

    input.fitness.reset();
    input.policies.push_back({"h2o:cache=90", &other, evomem::report::summarize_retention(other)});
    write_report(out_dir / "compare", input);
  } catch (const std::exception& error) {
    std::cerr << "retention_report_fixture: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
