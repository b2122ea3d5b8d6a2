#include "eval/retention_analysis.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "memory/retention_recorder.h"

namespace evomem::eval {
namespace {

// The records copy the recorder's eviction times as they are.
static_assert(report::kNeverEvicted == memory::RetentionRecorder::kNeverEvicted);

constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";
// Bytes of the context looked for in the prompt text to find where it starts and ends.
constexpr std::size_t kProbeBytes = 64;
// A UTF-8 character spans at most four byte-level tokens.
constexpr std::size_t kMaxCharacterTokens = 4;

// Attaches a recorder for one run and gives the policy its own recorder back afterwards.
class RecorderAttachment {
 public:
  RecorderAttachment(memory::Policy& policy, memory::RetentionRecorder& recorder)
      : policy_(policy), previous_(policy.recorder()) {
    policy_.set_recorder(&recorder);
  }
  ~RecorderAttachment() { policy_.set_recorder(previous_); }
  RecorderAttachment(const RecorderAttachment&) = delete;
  RecorderAttachment& operator=(const RecorderAttachment&) = delete;

 private:
  memory::Policy& policy_;
  memory::RetentionRecorder* previous_;
};

bool has_replacement(const std::string& text) { return text.find(kReplacementCharacter) != std::string::npos; }

// First token whose text ends after byte `offset` (tokens are in text order).
std::int64_t first_token_ending_after(const report::SampleRetention& record, std::int64_t offset) {
  const auto found = std::upper_bound(record.char_end.begin(), record.char_end.end(), offset);
  return static_cast<std::int64_t>(found - record.char_end.begin());
}

}  // namespace

void fill_token_text(report::SampleRetention& record,
                     const std::function<std::string(const std::vector<std::int64_t>&)>& decode,
                     const std::function<bool(std::int64_t)>& is_special) {
  const std::size_t count = record.token_ids.size();
  record.token_texts.assign(count, std::string());
  record.char_begin.assign(count, 0);
  record.char_end.assign(count, 0);
  record.token_classes.assign(count, report::TokenClass::kOther);
  record.text.clear();
  std::size_t i = 0;
  while (i < count) {
    std::vector<std::int64_t> group{record.token_ids[i]};
    std::string text = decode(group);
    // A lone piece of a character decodes to U+FFFD; its continuation bytes follow.
    while (has_replacement(text) && group.size() < kMaxCharacterTokens && i + group.size() < count &&
           !is_special(record.token_ids[i + group.size()])) {
      group.push_back(record.token_ids[i + group.size()]);
      const std::string joined = decode(group);
      if (!has_replacement(joined)) {
        text = joined;
        break;
      }
    }
    if (has_replacement(text)) {  // genuinely U+FFFD
      group.resize(1);
      text = decode(group);
    }
    for (std::size_t j = 0; j < group.size(); ++j) {
      const std::size_t token = i + j;
      record.token_texts[token] = j == 0 ? text : std::string();
      record.char_begin[token] = static_cast<std::int64_t>(record.text.size() + (j == 0 ? 0 : text.size()));
      record.char_end[token] = static_cast<std::int64_t>(record.text.size() + text.size());
      record.token_classes[token] = report::classify_token(text, is_special(record.token_ids[token]));
    }
    record.text += text;
    i += group.size();
  }
}

void locate_context(report::SampleRetention& record, const std::string& context,
                    const std::vector<tasks::ContextSpan>& spans) {
  record.preamble_end = 0;
  record.spans.clear();
  if (context.empty()) return;
  const std::size_t prompt_bytes = record.prompt_tokens > 0
                                       ? static_cast<std::size_t>(
                                             record.char_end[static_cast<std::size_t>(record.prompt_tokens - 1)])
                                       : 0;
  const std::string prompt_text = record.text.substr(0, prompt_bytes);
  const std::string head = context.substr(0, std::min(kProbeBytes, context.size()));
  const std::string tail = context.substr(context.size() - head.size());
  const std::size_t start = prompt_text.find(head);
  if (start == std::string::npos) return;  // cut away or rewritten: no landmarks
  record.preamble_end = first_token_ending_after(record, static_cast<std::int64_t>(start));
  const std::size_t tail_at = prompt_text.rfind(tail);
  for (const auto& span : spans) {
    if (span.end <= span.begin) continue;
    const std::string piece = context.substr(span.begin, span.end - span.begin);
    // Before a middle truncation the span sits at its offset from the context's start; after
    // it, at its offset from the context's end.
    std::size_t at = std::string::npos;
    if (start + span.begin <= prompt_text.size() && prompt_text.compare(start + span.begin, piece.size(), piece) == 0) {
      at = start + span.begin;
    } else if (tail_at != std::string::npos && tail_at + tail.size() >= context.size() - span.begin) {
      const std::size_t candidate = tail_at + tail.size() - (context.size() - span.begin);
      if (prompt_text.compare(candidate, piece.size(), piece) == 0) at = candidate;
    }
    if (at == std::string::npos) continue;
    report::TokenSpan token_span;
    token_span.kind = span.kind;
    token_span.token_begin = first_token_ending_after(record, static_cast<std::int64_t>(at));
    token_span.token_end = first_token_ending_after(record, static_cast<std::int64_t>(at + piece.size() - 1)) + 1;
    record.spans.push_back(token_span);
  }
}

RetentionAnalyzer::RetentionAnalyzer(model::Backbone& backbone, const model::Tokenizer& tokenizer,
                                     RunnerOptions options)
    : backbone_(backbone), tokenizer_(tokenizer), runner_(backbone, tokenizer, std::move(options)) {}

report::SampleRetention RetentionAnalyzer::analyze(const tasks::TaskSpec& task, const tasks::EvalSample& sample,
                                                   memory::Policy& policy) {
  memory::RetentionRecorder recorder(/*detailed=*/true);
  const RecorderAttachment attachment(policy, recorder);
  const SampleResult result = runner_.run(task, sample, &policy);

  report::SampleRetention record;
  record.task = task.name;
  record.id = sample.id;
  record.policy = policy.spec();
  record.prediction = result.prediction;
  record.score = result.score;
  record.token_ids = result.tokens;
  record.prompt_tokens = static_cast<std::int64_t>(result.prompt_tokens);
  fill_token_text(
      record, [this](const std::vector<std::int64_t>& ids) { return tokenizer_.decode(ids); },
      [this](std::int64_t id) { return tokenizer_.is_special(id); });
  const auto context = sample.fields.find("context");
  if (context != sample.fields.end()) locate_context(record, context->second, sample.context_spans);

  const auto& config = backbone_.config();
  record.layers = config.num_hidden_layers;
  record.kv_heads = config.num_key_value_heads;
  const std::int64_t tokens = record.tokens();
  for (std::int64_t layer = 0; layer < record.layers; ++layer) {
    std::vector<std::int32_t> evicted(static_cast<std::size_t>(record.kv_heads * tokens), report::kNeverEvicted);
    if (layer < recorder.layers() && recorder.layer(layer).evicted_at.defined()) {
      const at::Tensor recorded = recorder.layer(layer).evicted_at[0].contiguous();  // [kv_heads, n]
      const std::int64_t n = std::min(recorded.size(1), tokens);
      const auto* values = recorded.data_ptr<std::int32_t>();
      for (std::int64_t head = 0; head < record.kv_heads; ++head) {
        std::copy(values + head * recorded.size(1), values + head * recorded.size(1) + n,
                  evicted.begin() + head * tokens);
      }
    }
    record.evicted_at.push_back(std::move(evicted));
  }
  return record;
}

}  // namespace evomem::eval
