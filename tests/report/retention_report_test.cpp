// The report's numbers against hand-computed values, and its markup against hostile text:
// whatever a policy spec, a sample or a token says, the SVGs must parse and the page's
// script must not end early.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/utf8.h"
#include "report/retention_profile.h"
#include "report/retention_report.h"
#include "report/retention_svg.h"

namespace evomem::report {
namespace {

// A record from its tokens and, per layer, per head, a 0/1 "kept" row over the tokens.
SampleRetention make_sample(const std::string& id, const std::vector<std::string>& texts,
                            const std::vector<std::vector<std::vector<int>>>& kept) {
  SampleRetention sample;
  sample.task = "unit";
  sample.id = id;
  sample.policy = "test";
  sample.score = 0.5;
  for (std::size_t t = 0; t < texts.size(); ++t) {
    sample.token_ids.push_back(static_cast<std::int64_t>(100 + t));
    sample.token_texts.push_back(texts[t]);
    sample.char_begin.push_back(static_cast<std::int64_t>(sample.text.size()));
    sample.text += texts[t];
    sample.char_end.push_back(static_cast<std::int64_t>(sample.text.size()));
    sample.token_classes.push_back(TokenClass::kWords);
  }
  sample.prompt_tokens = static_cast<std::int64_t>(texts.size());
  sample.layers = static_cast<std::int64_t>(kept.size());
  sample.kv_heads = kept.empty() ? 1 : static_cast<std::int64_t>(kept.front().size());
  for (const auto& layer : kept) {
    std::vector<std::int32_t> evicted;
    for (const auto& head : layer) {
      EXPECT_EQ(head.size(), texts.size());
      for (const int keep : head) evicted.push_back(keep ? kNeverEvicted : 7);
    }
    sample.evicted_at.push_back(std::move(evicted));
  }
  return sample;
}

// Two layers, two KV heads; a four-token and a two-token sample.
std::vector<SampleRetention> two_samples() {
  return {make_sample("s1", {"a", "b", "c", "d"}, {{{1, 0, 1, 1}, {0, 0, 1, 1}}, {{1, 1, 1, 1}, {1, 1, 1, 1}}}),
          make_sample("s2", {"x", "y"}, {{{1, 0}, {1, 0}}, {{0, 0}, {0, 1}}})};
}

std::vector<LayerRetentionSummary> hand_summary() {
  LayerRetentionSummary layer0;
  layer0.layer = 0;
  layer0.entries = 12;
  layer0.retained = 7.0 / 12.0;
  layer0.age_mean = 1.5;
  layer0.age_median = 1.0;
  layer0.preamble_kept = std::nan("");
  layer0.needle_recall = std::nan("");
  layer0.class_kept.fill(std::nan(""));
  layer0.class_kept[static_cast<std::size_t>(TokenClass::kWords)] = 7.0 / 12.0;
  LayerRetentionSummary all = layer0;
  all.layer = -1;
  return {layer0, all};
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++found;
  return found;
}

TEST(RetentionProfile, PoolsEntriesPerLayerAndBin) {
  const RetentionProfile profile = retention_profile(two_samples(), 2);
  ASSERT_EQ(profile.layers, 2);
  ASSERT_EQ(profile.bins, 2);
  EXPECT_EQ(profile.samples, 2);
  // s1 puts tokens 0,1 in bin 0 and 2,3 in bin 1; s2 puts token 0 in bin 0 and token 1 in bin 1.
  EXPECT_EQ(profile.entries[0][0], 6);
  EXPECT_EQ(profile.entries[0][1], 6);
  EXPECT_DOUBLE_EQ(profile.kept[0][0], 3.0 / 6.0);  // not the mean of per-sample fractions (0.625)
  EXPECT_DOUBLE_EQ(profile.kept[0][1], 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(profile.kept[1][0], 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(profile.kept[1][1], 5.0 / 6.0);
  EXPECT_EQ(profile.all_layers_entries[0], 12);
  EXPECT_DOUBLE_EQ(profile.all_layers_kept[0], 7.0 / 12.0);
  EXPECT_DOUBLE_EQ(profile.all_layers_kept[1], 9.0 / 12.0);
}

TEST(RetentionProfile, BinsWithoutTokensAreNaN) {
  const RetentionProfile profile = retention_profile({two_samples()[1]}, 4);
  // Two tokens over four bins: token 0 -> bin 0, token 1 -> bin 1 * 4 / 2 = 2.
  EXPECT_DOUBLE_EQ(profile.kept[0][0], 1.0);
  EXPECT_TRUE(std::isnan(profile.kept[0][1]));
  EXPECT_DOUBLE_EQ(profile.kept[0][2], 0.0);
  EXPECT_TRUE(std::isnan(profile.kept[0][3]));
  EXPECT_EQ(profile.entries[0][3], 0);
  EXPECT_DOUBLE_EQ(profile.all_layers_kept[2], 1.0 / 4.0);
}

TEST(RetentionProfile, NoSamplesGiveNoLayers) {
  const RetentionProfile profile = retention_profile({}, 8);
  EXPECT_EQ(profile.layers, 0);
  EXPECT_EQ(profile.bins, 8);
  ASSERT_EQ(profile.all_layers_kept.size(), 8u);
  EXPECT_TRUE(std::isnan(profile.all_layers_kept[7]));
  EXPECT_EQ(profile.all_layers_entries[7], 0);
}

TEST(RetentionProfile, RejectsBadInput) {
  EXPECT_THROW(retention_profile(two_samples(), 0), InputError);
  auto samples = two_samples();
  samples[1] = make_sample("one-layer", {"x"}, {{{1}, {1}}});
  EXPECT_THROW(retention_profile(samples, 4), InputError);
  samples = two_samples();
  samples[0].evicted_at[1].pop_back();
  EXPECT_THROW(retention_profile(samples, 4), InputError);
  EXPECT_THROW(token_retention(samples[0]), InputError);
}

TEST(RetentionProfile, TokenRetentionCountsHeadsAndAveragesLayers) {
  const TokenRetention retention = token_retention(two_samples()[0]);
  ASSERT_EQ(retention.tokens, 4);
  EXPECT_EQ(retention.heads_kept[0], (std::vector<std::int32_t>{1, 0, 2, 2}));
  EXPECT_EQ(retention.heads_kept[1], (std::vector<std::int32_t>{2, 2, 2, 2}));
  EXPECT_EQ(retention.mean_kept, (std::vector<double>{0.75, 0.5, 1.0, 1.0}));
  EXPECT_DOUBLE_EQ(retention.layer_kept(0, 0), 0.5);
  EXPECT_DOUBLE_EQ(retention.layer_kept(1, 1), 1.0);
}

TEST(RetentionSvg, MarkupEscapeHandlesHostileText) {
  EXPECT_EQ(markup_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(markup_escape("tab\tnew\nline\x01\x1f"), "tab\tnew\nline");
  EXPECT_EQ(markup_escape("bad \xC3 byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(markup_escape("not xml \xEF\xBF\xBE!"), "not xml !");
}

TEST(RetentionSvg, NumbersIgnoreTheLocaleAndKeepTheirDigits) {
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(2.0 / 3.0), "0.6667");
  EXPECT_EQ(format_number(123456.0, 4), "1.235e+05");
  EXPECT_EQ(format_number(-0.0), "0");
  EXPECT_EQ(format_number(std::nan("")), "nan");
  EXPECT_EQ(kept_fraction_colour(0.0), "#440154");
  EXPECT_EQ(kept_fraction_colour(1.0), "#fde725");
  EXPECT_EQ(kept_fraction_colour(2.0), "#fde725");
  EXPECT_EQ(kept_fraction_colour(std::nan("")), "#d9d9d9");
}

TEST(RetentionSvg, HeatmapShowsTheProfileAndEscapesTheSpec) {
  const std::string spec = "namm:weights=a,b=<x>&\"y\"\x02";
  const std::string svg = render_retention_heatmap_svg(retention_profile(two_samples(), 2), spec);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"", 0), 0u);
  EXPECT_NE(svg.find("namm:weights=a,b=&lt;x&gt;&amp;&quot;y&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<x>"), std::string::npos);
  EXPECT_EQ(svg.find('\x02'), std::string::npos);
  EXPECT_NE(svg.find("relative position"), std::string::npos);
  EXPECT_NE(svg.find(">layer</text>"), std::string::npos);
  EXPECT_NE(svg.find("kept fraction"), std::string::npos);
  EXPECT_NE(svg.find("<title>layer 0, relative position 0-0.5: kept 0.5 of 6 entries</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>all layers, relative position 0.5-1: kept 0.75 of 12 entries</title>"), std::string::npos);
  EXPECT_EQ(count(svg, "<rect "), 1u + 3 * 2 + 10 + 1);  // background, cells, legend bar, empty swatch
  EXPECT_TRUE(core::is_valid_utf8(svg));
  EXPECT_EQ(svg, render_retention_heatmap_svg(retention_profile(two_samples(), 2), spec));
}

TEST(RetentionSvg, CurvesCompareTwoPoliciesInLabelledPanels) {
  auto other = two_samples();
  other[0].evicted_at[0].assign(other[0].evicted_at[0].size(), kNeverEvicted);
  const std::vector<PolicyProfile> profiles{{"recency:cache=2", retention_profile(two_samples(), 2)},
                                            {"h2o:cache=2,<b>", retention_profile(other, 2)}};
  const std::string svg = render_retention_curves_svg(profiles);
  EXPECT_NE(svg.find("A: recency:cache=2"), std::string::npos);
  EXPECT_NE(svg.find("B: h2o:cache=2,&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline "), 2u * 3);  // two layers and the pooled line, per panel
  EXPECT_NE(svg.find(">all layers</text>"), std::string::npos);
  EXPECT_NE(svg.find(">layer 1</text>"), std::string::npos);
  EXPECT_EQ(svg, render_retention_curves_svg(profiles));
  EXPECT_THROW(render_retention_curves_svg({}), InputError);
}

TEST(RetentionSvg, FitnessChartDrawsThreeSeriesAndChecksLengths) {
  FitnessHistory history{"run<1>.h5", {0, 1, 2, 3}, {0.2, 0.4, 0.5, 0.6}, {0.1, 0.2, NAN, 0.4}, {0.1, 0.25, 0.3, 0.4}};
  const std::string svg = render_fitness_svg(history);
  EXPECT_NE(svg.find("Fitness by generation: run&lt;1&gt;.h5"), std::string::npos);
  // The NaN mean splits its line in two: one polyline of two points, one dot.
  EXPECT_EQ(count(svg, "<polyline "), 3u);
  EXPECT_EQ(count(svg, "<circle "), 1u);
  EXPECT_NE(svg.find(">median</text>"), std::string::npos);
  history.median.pop_back();
  EXPECT_THROW(render_fitness_svg(history), InputError);
}

ReportInput hostile_input(const std::vector<SampleRetention>& samples) {
  ReportInput input;
  input.title = "Report </script><script>alert(1)</script> & co";
  input.backbone = "<i>built-in</i>";
  input.policies.push_back({"namm:weights=<w>,cache=\"2\"&x", &samples, hand_summary()});
  input.bins = 2;
  return input;
}

// The JSON the page's script reads, as the browser would parse it.
nlohmann::json embedded_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const auto begin = html.find(open);
  EXPECT_NE(begin, std::string::npos);
  const auto end = html.find("</script>", begin);
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

TEST(RetentionReport, EscapesHostileTextEverywhere) {
  auto samples = two_samples();
  samples[0].token_texts[1] = "</script><b>&amp;\n";
  samples[0].text = "a</script><b>&amp;\ncd";
  samples[0].char_end = {1, 19, 20, 21};
  samples[0].char_begin = {0, 1, 19, 20};
  samples[0].prediction = "<!-- \"end\"";
  samples[0].id = "id<'>";
  const std::string html = render_retention_report(hostile_input(samples));

  // Three script elements (error recorder, data, text view) and no fourth one from user text.
  EXPECT_EQ(count(html, "<script"), 3u);
  EXPECT_EQ(count(html, "</script"), 3u);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_NE(html.find("<title>Report &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>"),
            std::string::npos);
  EXPECT_NE(html.find("<code>&lt;i&gt;built-in&lt;/i&gt;</code>"), std::string::npos);
  EXPECT_NE(html.find("namm:weights=&lt;w&gt;,cache=&quot;2&quot;&amp;x"), std::string::npos);
  EXPECT_EQ(html.find("<w>"), std::string::npos);

  const nlohmann::json data = embedded_data(html);
  const auto& sample = data["policies"][0]["samples"][0];
  EXPECT_EQ(sample["text"][1], "</script><b>&amp;\n");
  EXPECT_EQ(sample["prediction"], "<!-- \"end\"");
  EXPECT_EQ(sample["id"], "id<'>");
  EXPECT_EQ(data["policies"][0]["spec"], "namm:weights=<w>,cache=\"2\"&x");
}

TEST(RetentionReport, EmbedsHeadSetsPerLayerAndToken) {
  const auto samples = two_samples();
  const nlohmann::json data = embedded_data(render_retention_report(hostile_input(samples)));
  const auto& policy = data["policies"][0];
  EXPECT_EQ(policy["layers"], 2);
  EXPECT_EQ(policy["kv_heads"], 2);
  EXPECT_EQ(policy["head_bits"], true);
  // s1 layer 0: head 0 keeps tokens 0, 2, 3 (bit 1), head 1 keeps 2, 3 (bit 2).
  EXPECT_EQ(policy["samples"][0]["heads"][0], (std::vector<int>{1, 0, 3, 3}));
  EXPECT_EQ(policy["samples"][0]["heads"][1], (std::vector<int>{3, 3, 3, 3}));
  EXPECT_EQ(policy["samples"][1]["heads"][1], (std::vector<int>{0, 2}));
  EXPECT_EQ(data["class_names"][3], "words");
}

TEST(RetentionReport, SplitCharactersShowOnceWithTheTokenTheyStartIn) {
  // "é" (C3 A9) split over two byte tokens, then "x".
  auto sample = make_sample("utf8", {"\xC3", "\xA9", "x"}, {{{1, 1, 1}}});
  const std::vector<SampleRetention> samples{sample};
  ReportInput input = hostile_input(samples);
  const nlohmann::json data = embedded_data(render_retention_report(input));
  EXPECT_EQ(data["policies"][0]["samples"][0]["text"], (std::vector<std::string>{"\xC3\xA9", "", "x"}));
  // Without usable offsets each token's own bytes are shown, repaired.
  sample.char_begin.clear();
  const std::vector<SampleRetention> without_offsets{sample};
  input.policies[0].samples = &without_offsets;
  const nlohmann::json repaired = embedded_data(render_retention_report(input));
  EXPECT_EQ(repaired["policies"][0]["samples"][0]["text"][0], "\xEF\xBF\xBD");
}

TEST(RetentionReport, ShowsTheSummaryWithDashesForNotApplicable) {
  const auto samples = two_samples();
  const std::string html = render_retention_report(hostile_input(samples));
  EXPECT_NE(html.find("<tr><td>0</td><td>12</td><td>0.583</td><td>1.5</td><td>1.0</td><td>\xE2\x80\x93</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"all\"><td>all</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>words kept</th>"), std::string::npos);
}

TEST(RetentionReport, HasTheSectionsAndIsDeterministic) {
  const auto samples = two_samples();
  const ReportInput input = hostile_input(samples);
  const std::string html = render_retention_report(input);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"id=\"summary\"", "id=\"heatmap\"", "id=\"heatmap-a\"", "id=\"curves\"", "id=\"text-view\"",
                         "id=\"text-sample\"", "id=\"text-layer\"", "id=\"text-tokens\"", "id=\"page-errors\""}) {
    EXPECT_NE(html.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(html.find("id=\"text-policy\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"heatmap-b\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"fitness\""), std::string::npos);
  // Nothing the page loads: no external script, style, font or image.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("eval("), std::string::npos);
  EXPECT_EQ(html, render_retention_report(input));
  EXPECT_TRUE(core::is_valid_utf8(html));
}

TEST(RetentionReport, FitnessSectionOnlyWhenGiven) {
  const auto samples = two_samples();
  ReportInput input = hostile_input(samples);
  input.fitness = FitnessHistory{"run.h5", {0, 1}, {0.5, 0.7}, {0.3, 0.4}, {0.3, 0.45}};
  const std::string html = render_retention_report(input);
  EXPECT_NE(html.find("id=\"fitness\""), std::string::npos);
  EXPECT_NE(html.find("Fitness by generation: run.h5"), std::string::npos);
  const auto files = render_retention_report_svgs(input);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "heatmap.svg");
  EXPECT_EQ(files[1].first, "curves.svg");
  EXPECT_EQ(files[2].first, "fitness.svg");
  input.fitness.reset();
  EXPECT_EQ(render_retention_report_svgs(input).size(), 2u);
}

TEST(RetentionReport, ComparesTwoPolicies) {
  const auto samples = two_samples();
  auto other = two_samples();
  other[1].evicted_at[1].assign(other[1].evicted_at[1].size(), kNeverEvicted);
  ReportInput input = hostile_input(samples);
  input.policies.push_back({"recency:cache=1", &other, hand_summary()});
  const std::string html = render_retention_report(input);
  EXPECT_NE(html.find("id=\"heatmap-a\""), std::string::npos);
  EXPECT_NE(html.find("id=\"heatmap-b\""), std::string::npos);
  EXPECT_NE(html.find("id=\"text-policy\""), std::string::npos);
  // The heatmap of B names its policy on the line under the title.
  EXPECT_NE(html.find(">recency:cache=1</text>"), std::string::npos);
  EXPECT_NE(html.find("B: recency:cache=1"), std::string::npos);
  EXPECT_EQ(count(html, "<table class=\"summary\">"), 2u);
  const nlohmann::json data = embedded_data(html);
  ASSERT_EQ(data["policies"].size(), 2u);
  EXPECT_EQ(data["policies"][1]["samples"][1]["heads"][1], (std::vector<int>{3, 3}));
  const auto files = render_retention_report_svgs(input);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "heatmap_a.svg");
  EXPECT_EQ(files[1].first, "heatmap_b.svg");
}

TEST(RetentionReport, RendersAPolicyWithoutSamples) {
  const std::vector<SampleRetention> none;
  const auto samples = two_samples();
  ReportInput input = hostile_input(samples);
  input.policies.push_back({"full", &none, {}});
  const std::string html = render_retention_report(input);
  EXPECT_NE(html.find("no samples"), std::string::npos);
  EXPECT_NE(html.find("<td colspan=\"13\">no rows</td>"), std::string::npos);
  EXPECT_EQ(embedded_data(html)["policies"][1]["samples"].size(), 0u);
}

TEST(RetentionReport, RejectsMissingOrTooManyPolicies) {
  const auto samples = two_samples();
  ReportInput input = hostile_input(samples);
  input.policies.clear();
  EXPECT_THROW(render_retention_report(input), InputError);
  input = hostile_input(samples);
  input.policies.push_back(input.policies[0]);
  input.policies.push_back(input.policies[0]);
  EXPECT_THROW(render_retention_report(input), InputError);
  input = hostile_input(samples);
  input.policies[0].samples = nullptr;
  EXPECT_THROW(render_retention_report(input), InputError);
}

}  // namespace
}  // namespace evomem::report
