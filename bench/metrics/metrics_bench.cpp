// Samples per second of each metric on predictions of the sizes the tasks produce (short QA
// answers, 512-token summaries, Chinese summaries, code lines), deterministic synthetic text.

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "metrics/jieba_segmenter.h"
#include "metrics/metric.h"

namespace {

using evomem::metrics::Metric;

std::string english_words(std::mt19937& generator, std::size_t count, std::size_t vocabulary) {
  static const char* kWords[] = {"the", "report", "states", "that", "agency", "budget", "increase", "program",
                                 "a",   "data",   "shows",  "cost", "of",     "and",    "review",   "federal",
                                 "in",  "years",  "plan",   "risk", "GAO",    "found",  "new",      "officials"};
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text += kWords[generator() % std::min<std::size_t>(vocabulary, std::size(kWords))];
    text += (i % 17 == 16) ? ". " : " ";
  }
  return text;
}

std::string chinese_text(std::mt19937& generator, std::size_t phrases) {
  static const char* kPhrases[] = {"会议讨论了",   "预算安排", "研发投入", "产品发布计划", "市场推广策略",
                                   "人员招聘问题", "我们需要", "尽快完成", "项目进度",     "用户反馈",
                                   "系统优化",     "，",       "。"};
  std::string text;
  for (std::size_t i = 0; i < phrases; ++i) text += kPhrases[generator() % std::size(kPhrases)];
  return text;
}

void run_metric(benchmark::State& state, Metric metric, const std::vector<std::string>& predictions,
                const std::vector<evomem::metrics::References>& references, bool first_line = false) {
  std::size_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        evomem::metrics::score_prediction(metric, predictions[index], references[index], first_line));
    index = (index + 1) % predictions.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <typename MakePair>
void bench_pairs(benchmark::State& state, Metric metric, MakePair make_pair, bool first_line = false) {
  std::mt19937 generator(42);
  std::vector<std::string> predictions;
  std::vector<evomem::metrics::References> references;
  for (int i = 0; i < 32; ++i) {
    auto [prediction, reference] = make_pair(generator);
    predictions.push_back(prediction);
    references.push_back(
        evomem::metrics::string_references({reference}, {"Location", "Human being", "Entity", "Number"}));
  }
  run_metric(state, metric, predictions, references, first_line);
}

void BM_qa_f1(benchmark::State& state) {
  bench_pairs(state, Metric::kQaF1,
              [](std::mt19937& g) { return std::make_pair(english_words(g, 20, 24), english_words(g, 5, 24)); });
}
void BM_qa_f1_zh(benchmark::State& state) {
  evomem::metrics::JiebaSegmenter::shared();
  bench_pairs(state, Metric::kQaF1Zh,
              [](std::mt19937& g) { return std::make_pair(chinese_text(g, 12), chinese_text(g, 4)); });
}
void BM_rouge_512_words(benchmark::State& state) {
  bench_pairs(state, Metric::kRouge,
              [](std::mt19937& g) { return std::make_pair(english_words(g, 400, 24), english_words(g, 400, 24)); });
}
void BM_rouge_zh_summary(benchmark::State& state) {
  evomem::metrics::JiebaSegmenter::shared();
  bench_pairs(state, Metric::kRougeZh,
              [](std::mt19937& g) { return std::make_pair(chinese_text(g, 60), chinese_text(g, 60)); });
}
void BM_rouge_lsum_1200_words(benchmark::State& state) {
  bench_pairs(state, Metric::kRougeLsum,
              [](std::mt19937& g) { return std::make_pair(english_words(g, 900, 24), english_words(g, 900, 24)); });
}
void BM_code_sim(benchmark::State& state) {
  bench_pairs(state, Metric::kCodeSim, [](std::mt19937& g) {
    std::string line = "        self.assertEqual(result." + std::to_string(g() % 1000) + ", expected_value)";
    std::string reference = "        self.assertEqual(result.value, expected_" + std::to_string(g() % 1000) + ")";
    return std::make_pair("```python\n" + line + "\n```", reference);
  });
}
void BM_classification(benchmark::State& state) {
  bench_pairs(
      state, Metric::kClassification,
      [](std::mt19937& g) {
        return std::make_pair(std::string(g() % 2 ? "Location\nEntity" : "Human being"), std::string("Location"));
      },
      true);
}
void BM_retrieval(benchmark::State& state) {
  bench_pairs(state, Metric::kRetrieval, [](std::mt19937& g) {
    return std::make_pair("Paragraph " + std::to_string(g() % 30) + " and paragraph 7",
                          "Paragraph " + std::to_string(g() % 30));
  });
}
void BM_count(benchmark::State& state) {
  bench_pairs(state, Metric::kCount, [](std::mt19937& g) {
    return std::make_pair("There are " + std::to_string(g() % 30) + " unique paragraphs.", std::to_string(g() % 30));
  });
}

BENCHMARK(BM_qa_f1);
BENCHMARK(BM_qa_f1_zh);
BENCHMARK(BM_rouge_512_words);
BENCHMARK(BM_rouge_zh_summary);
BENCHMARK(BM_rouge_lsum_1200_words);
BENCHMARK(BM_code_sim);
BENCHMARK(BM_classification);
BENCHMARK(BM_retrieval);
BENCHMARK(BM_count);

}  // namespace

BENCHMARK_MAIN();
