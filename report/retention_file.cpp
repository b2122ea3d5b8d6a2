#include "report/retention_file.h"

#include <map>

#include "core/error.h"
#include "core/files.h"
#include "core/hdf5.h"

namespace evomem::report {
namespace {

namespace h5 = core::h5;

constexpr const char* kFormat = "evomem-retention";
constexpr std::int64_t kFormatVersion = 1;
constexpr const char* kCompareGroup = "compare";

// HDF5 names cannot hold '/', and '.' alone is special; ids from other tools may have both.
std::string group_name(const std::string& id, std::map<std::string, int>& used) {
  std::string name = id.empty() ? "sample" : id;
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  if (name == "." || name == "..") name = "_" + name;
  const int seen = used[name]++;
  return seen == 0 ? name : name + "#" + std::to_string(seen + 1);
}

void write_summary(h5::Group group, const std::vector<LayerRetentionSummary>& rows) {
  std::vector<std::int64_t> layer, entries, class_entries;
  std::vector<double> retained, age_mean, age_median, preamble_kept, needle_recall, class_kept;
  for (const auto& row : rows) {
    layer.push_back(row.layer);
    entries.push_back(row.entries);
    retained.push_back(row.retained);
    age_mean.push_back(row.age_mean);
    age_median.push_back(row.age_median);
    preamble_kept.push_back(row.preamble_kept);
    needle_recall.push_back(row.needle_recall);
    class_kept.insert(class_kept.end(), row.class_kept.begin(), row.class_kept.end());
    class_entries.insert(class_entries.end(), row.class_entries.begin(), row.class_entries.end());
  }
  group.write("layer", layer);
  group.write("entries", entries);
  group.write("retained", retained);
  group.write("age_mean", age_mean);
  group.write("age_median", age_median);
  group.write("preamble_kept", preamble_kept);
  group.write("needle_recall", needle_recall);
  const h5::Shape shape{static_cast<hsize_t>(rows.size()), static_cast<hsize_t>(kTokenClassCount)};
  group.write("class_kept", class_kept, shape);
  group.write("class_entries", class_entries, shape);
  std::vector<std::string> names;
  for (int c = 0; c < kTokenClassCount; ++c) names.emplace_back(token_class_name(static_cast<TokenClass>(c)));
  group.write_strings("class_names", names);
}

std::vector<LayerRetentionSummary> read_summary(const h5::Group& group) {
  const auto layer = group.read<std::int64_t>("layer");
  const auto entries = group.read<std::int64_t>("entries");
  const auto retained = group.read<double>("retained");
  const auto age_mean = group.read<double>("age_mean");
  const auto age_median = group.read<double>("age_median");
  const auto preamble_kept = group.read<double>("preamble_kept");
  const auto needle_recall = group.read<double>("needle_recall");
  const auto class_kept = group.read<double>("class_kept");
  const auto class_entries = group.read<std::int64_t>("class_entries");
  const std::size_t rows = layer.size();
  for (const std::size_t size : {entries.size(), retained.size(), age_mean.size(), age_median.size(),
                                 preamble_kept.size(), needle_recall.size()}) {
    if (size != rows) throw FormatError(group.describe() + ": summary columns differ in length");
  }
  if (class_kept.size() != rows * kTokenClassCount || class_entries.size() != rows * kTokenClassCount) {
    throw FormatError(group.describe() + ": class_kept and class_entries must be [rows, " +
                      std::to_string(kTokenClassCount) + "]");
  }
  std::vector<LayerRetentionSummary> summary(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    auto& row = summary[r];
    row.layer = layer[r];
    row.entries = entries[r];
    row.retained = retained[r];
    row.age_mean = age_mean[r];
    row.age_median = age_median[r];
    row.preamble_kept = preamble_kept[r];
    row.needle_recall = needle_recall[r];
    for (int c = 0; c < kTokenClassCount; ++c) {
      row.class_kept[c] = class_kept[r * kTokenClassCount + c];
      row.class_entries[c] = class_entries[r * kTokenClassCount + c];
    }
  }
  return summary;
}

void write_sample(h5::Group group, const SampleRetention& sample) {
  group.set_attribute("task", sample.task);
  group.set_attribute("id", sample.id);
  group.set_attribute("prediction", sample.prediction);
  group.set_attribute("score", sample.score);
  group.set_attribute("prompt_tokens", sample.prompt_tokens);
  group.set_attribute("preamble_end", sample.preamble_end);
  group.set_attribute("kv_heads", sample.kv_heads);
  group.set_attribute("layers", sample.layers);
  const auto tokens = static_cast<hsize_t>(sample.tokens());
  group.write("token_ids", sample.token_ids);
  std::vector<std::int64_t> offsets;
  for (std::size_t t = 0; t < sample.token_ids.size(); ++t) {
    offsets.push_back(sample.char_begin[t]);
    offsets.push_back(sample.char_end[t]);
  }
  group.write("char_offsets", offsets, {tokens, 2});
  std::vector<std::uint8_t> classes;
  for (const auto token_class : sample.token_classes) classes.push_back(static_cast<std::uint8_t>(token_class));
  group.write("token_class", classes);
  group.write_strings("text", {sample.text});
  std::vector<std::string> kinds;
  std::vector<std::int64_t> ranges;
  for (const auto& span : sample.spans) {
    kinds.push_back(span.kind);
    ranges.push_back(span.token_begin);
    ranges.push_back(span.token_end);
  }
  group.write_strings("span_kind", kinds);
  group.write("span_tokens", ranges, {static_cast<hsize_t>(sample.spans.size()), 2});
  const h5::Shape shape{static_cast<hsize_t>(sample.kv_heads), tokens};
  auto evicted = group.create_group("evicted_at");
  for (std::int64_t layer = 0; layer < sample.layers; ++layer) {
    group.write("layer_" + std::to_string(layer), sample.keep_mask(layer), shape);
    evicted.write("layer_" + std::to_string(layer), sample.evicted_at[static_cast<std::size_t>(layer)], shape);
  }
}

SampleRetention read_sample(const h5::Group& group) {
  SampleRetention sample;
  sample.task = group.string_attribute("task");
  sample.id = group.string_attribute("id");
  sample.prediction = group.string_attribute("prediction");
  sample.score = group.double_attribute("score");
  sample.prompt_tokens = group.int_attribute("prompt_tokens");
  sample.preamble_end = group.int_attribute("preamble_end");
  sample.kv_heads = group.int_attribute("kv_heads");
  sample.layers = group.int_attribute("layers");
  sample.token_ids = group.read<std::int64_t>("token_ids");
  const std::size_t tokens = sample.token_ids.size();
  const auto offsets = group.read<std::int64_t>("char_offsets");
  const auto classes = group.read<std::uint8_t>("token_class");
  const auto text = group.dataset("text").read_strings();
  if (offsets.size() != 2 * tokens || classes.size() != tokens || text.size() != 1) {
    throw FormatError(group.describe() + ": char_offsets, token_class and text do not match token_ids (" +
                      std::to_string(tokens) + " tokens)");
  }
  sample.text = text.front();
  for (std::size_t t = 0; t < tokens; ++t) {
    const auto begin = offsets[2 * t], end = offsets[2 * t + 1];
    if (begin < 0 || end < begin || end > static_cast<std::int64_t>(sample.text.size()) ||
        classes[t] >= kTokenClassCount) {
      throw FormatError(group.describe() + ": token " + std::to_string(t) + " has bad char_offsets or token_class");
    }
    sample.char_begin.push_back(begin);
    sample.char_end.push_back(end);
    sample.token_texts.push_back(
        sample.text.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)));
    sample.token_classes.push_back(static_cast<TokenClass>(classes[t]));
  }
  const auto kinds = group.dataset("span_kind").read_strings();
  const auto ranges = group.read<std::int64_t>("span_tokens");
  if (ranges.size() != 2 * kinds.size())
    throw FormatError(group.describe() + ": span_kind and span_tokens differ in length");
  for (std::size_t s = 0; s < kinds.size(); ++s) sample.spans.push_back({kinds[s], ranges[2 * s], ranges[2 * s + 1]});
  const auto evicted = group.group("evicted_at");
  for (std::int64_t layer = 0; layer < sample.layers; ++layer) {
    auto values = evicted.read<std::int32_t>("layer_" + std::to_string(layer));
    if (values.size() != static_cast<std::size_t>(sample.kv_heads) * tokens) {
      throw FormatError(evicted.describe() + "/layer_" + std::to_string(layer) + ": expected [" +
                        std::to_string(sample.kv_heads) + ", " + std::to_string(tokens) + "] values");
    }
    sample.evicted_at.push_back(std::move(values));
  }
  return sample;
}

void write_set(h5::Group& group, const RetentionSet& set) {
  group.set_attribute("policy", set.policy);
  auto samples = group.create_group("samples");
  std::map<std::string, int> used;
  std::vector<std::string> order;
  for (const auto& sample : set.samples) {
    order.push_back(group_name(sample.id, used));
    write_sample(samples.create_group(order.back()), sample);
  }
  group.write_strings("sample_order", order);
  write_summary(group.create_group("summary"), set.summary);
}

RetentionSet read_set(const h5::Group& group) {
  RetentionSet set;
  set.policy = group.string_attribute("policy");
  const auto samples = group.group("samples");
  for (const auto& name : group.dataset("sample_order").read_strings())
    set.samples.push_back(read_sample(samples.group(name)));
  set.summary = read_summary(group.group("summary"));
  return set;
}

}  // namespace

void write_retention_file(const std::filesystem::path& path, const RetentionFile& content) {
  if (content.sets.empty() || content.sets.size() > 2) {
    throw InputError("a retention file holds one policy and at most one compared policy");
  }
  h5::write_file_atomically(path, [&](h5::File& file) {
    file.set_attribute("format", kFormat);
    file.set_attribute("format_version", kFormatVersion);
    file.set_attribute("backbone", content.backbone);
    file.set_attribute("command_line", content.command_line);
    write_set(file, content.sets.front());
    if (content.sets.size() == 2) {
      auto compare = file.create_group(kCompareGroup);
      write_set(compare, content.sets.back());
    }
  });
}

RetentionFile read_retention_file(const std::filesystem::path& path) {
  const auto file = h5::File::open(path);
  if (!file.has_attribute("format") || file.string_attribute("format") != kFormat) {
    throw FormatError(path.string() + ": not an evomem retention file (no format=\"" + kFormat +
                      "\" attribute); write one with `evomem analyze`");
  }
  if (file.int_attribute("format_version") != kFormatVersion) {
    throw FormatError(path.string() + ": retention file format_version " +
                      std::to_string(file.int_attribute("format_version")) + ", this evomem reads version " +
                      std::to_string(kFormatVersion));
  }
  RetentionFile content;
  content.backbone = file.string_attribute("backbone");
  content.command_line = file.string_attribute("command_line");
  content.sets.push_back(read_set(file));
  if (file.contains(kCompareGroup)) content.sets.push_back(read_set(file.group(kCompareGroup)));
  return content;
}

}  // namespace evomem::report
