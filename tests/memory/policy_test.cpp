#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "memory/policy.h"
#include "memory/policy_spec.h"

namespace evomem::memory {
namespace {

TEST(PolicySpec, ParsesNameAndOptionsInOrder) {
  const auto spec = parse_policy_spec("snapkv:window=32, kernel=7,budget=512");
  EXPECT_EQ(spec.name, "snapkv");
  ASSERT_EQ(spec.options.size(), 3u);
  EXPECT_EQ(spec.options[0].first, "window");
  EXPECT_EQ(spec.options[1].second, "7");
  EXPECT_EQ(spec.options[2].second, "512");
  EXPECT_TRUE(parse_policy_spec("full").options.empty());
  EXPECT_THROW(parse_policy_spec(":a=1"), ConfigError);
  EXPECT_THROW(parse_policy_spec("h2o:heavy"), ConfigError);
  EXPECT_THROW(parse_policy_spec("h2o:heavy=1,heavy=2"), ConfigError);
}

TEST(PolicySpec, ReaderTypesAndUnknownKeys) {
  SpecReader reader(parse_policy_spec("l2:keep=0.5,skip_layers=0;1,interval=64"), {"keep", "skip_layers", "interval"});
  EXPECT_EQ(reader.get_int("interval", 512), 64);
  EXPECT_EQ(reader.get_int("missing", 7), 7);
  EXPECT_EQ(reader.get_int_list("skip_layers"), (std::vector<std::int64_t>{0, 1}));
  const Budget keep = reader.get_budget("keep", Budget{});
  EXPECT_TRUE(keep.is_ratio);
  EXPECT_EQ(keep.tokens(10), 5);
  reader.finish();

  SpecReader bad(parse_policy_spec("h2o:heavy=1,bogus=2"), {"heavy", "recent"});
  try {
    bad.finish();
    FAIL() << "unknown key accepted";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("h2o:heavy=1,bogus=2"), std::string::npos) << message;
    EXPECT_NE(message.find("bogus"), std::string::npos) << message;
    EXPECT_NE(message.find("heavy, recent"), std::string::npos) << message;
  }
  SpecReader not_int(parse_policy_spec("x:n=abc"), {"n"});
  EXPECT_THROW(not_int.get_int("n", 0), ConfigError);
}

TEST(Budget, CountsAndRatios) {
  EXPECT_FALSE(Budget::parse("512", "b").is_ratio);
  EXPECT_EQ(Budget::parse("512", "b").tokens(1000), 512);
  EXPECT_EQ(Budget::parse("512", "b").tokens(100), 100);
  EXPECT_TRUE(Budget::parse("0.25", "b").is_ratio);
  EXPECT_EQ(Budget::parse("0.25", "b").tokens(10), 3);  // of 10 tokens seen; rounds up: never below the ratio
  EXPECT_TRUE(Budget::parse("1.0", "b").is_ratio);
  EXPECT_EQ(Budget::parse("1.0", "b").tokens(37), 37);
  EXPECT_EQ(Budget::parse("0", "b").tokens(37), 0);
  EXPECT_THROW(Budget::parse("1.5", "b"), ConfigError);
  EXPECT_THROW(Budget::parse("-3", "b"), ConfigError);
  EXPECT_THROW(Budget::parse("12x", "b"), ConfigError);
  EXPECT_EQ(Budget::parse(Budget::parse("0.5", "b").to_string(), "b").value, 0.5);
  EXPECT_TRUE(Budget::parse(Budget::parse("1.0", "b").to_string(), "b").is_ratio);
}

// fuzz/corpus/policy_spec/finding-budget-overflow.txt: a count beyond int64 was accepted and
// its canonical spec cast it to an integer (undefined behaviour).
TEST(Budget, CountsBeyondInt64AreConfigErrors) {
  EXPECT_THROW(Budget::parse("922337203685477580728", "b"), ConfigError);
  EXPECT_THROW(Budget::parse("9223372036854775808", "b"), ConfigError);
  EXPECT_THROW(make_policy("random:keep=922337203685477580728,seed=3"), ConfigError);
  EXPECT_EQ(Budget::parse("4611686018427387904", "b").to_string(), "4611686018427387904");
}

TEST(MakePolicy, FullCacheKeepsEverythingWithoutAttention) {
  auto policy = make_policy("full");
  EXPECT_EQ(policy->name(), "full");
  EXPECT_FALSE(policy->needs_attention());
  EXPECT_EQ(policy->update_interval(), kDefaultUpdateInterval);
  model::AttentionObservation observation;
  observation.valid = at::ones({1, 2, 5}, at::kBool);
  EXPECT_FALSE(policy->on_update(observation).has_value());
  EXPECT_EQ(make_policy(policy->spec())->spec(), policy->spec());
  EXPECT_EQ(make_policy("full:interval=64")->update_interval(), 64);
  EXPECT_THROW(make_policy("full:interval=0"), ConfigError);
}

TEST(MakePolicy, NewBaselinesHaveCanonicalSpecsAndValidateTheirKeys) {
  EXPECT_EQ(make_policy("pyramidkv:layers=16")->spec(),
            "pyramidkv:window=32,kernel=7,budget=512,pooling=avg,layers=16,beta=20,interval=512");
  EXPECT_EQ(make_policy("adakv")->spec(), "adakv:window=32,kernel=7,budget=512,pooling=avg,alpha=0.2,interval=512");
  EXPECT_EQ(make_policy("adakv:alpha=1,budget=0.5")->spec(),
            "adakv:window=32,kernel=7,budget=0.5,pooling=avg,alpha=1,interval=512");
  EXPECT_EQ(make_policy("tova:budget=0.5,interval=64")->spec(), "tova:budget=0.5,interval=64");
  for (const std::string name : {"pyramidkv:layers=4", "adakv", "tova"}) {
    EXPECT_TRUE(make_policy(name)->needs_attention()) << name;
  }
  EXPECT_THROW(make_policy("pyramidkv"), ConfigError);  // layers is required
  EXPECT_THROW(make_policy("pyramidkv:layers=0"), ConfigError);
  EXPECT_THROW(make_policy("pyramidkv:layers=4,beta=0"), ConfigError);
  EXPECT_THROW(make_policy("pyramidkv:layers=4,kernel=2"), ConfigError);
  EXPECT_THROW(make_policy("adakv:alpha=1.5"), ConfigError);
  EXPECT_THROW(make_policy("adakv:pooling=median"), ConfigError);
  EXPECT_THROW(make_policy("tova:window=4"), ConfigError);
  EXPECT_THROW(make_policy("tova:budget=2.5"), ConfigError);
}

TEST(MakePolicy, UnknownPolicyNamesTheSpecAndTheKnownNames) {
  try {
    make_policy("nosuch:x=1");
    FAIL() << "unknown policy accepted";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("nosuch:x=1"), std::string::npos) << message;
    EXPECT_NE(message.find("full"), std::string::npos) << message;
  }
  EXPECT_THROW(make_policy("full:window=3"), ConfigError);
}

TEST(MakePolicy, EveryBaselineRoundTripsThroughItsSpec) {
  for (const std::string text :
       {"recency:window=64", "streaming:sinks=4,window=256", "h2o:heavy=128,recent=0.25", "l2:keep=0.5,skip_layers=0;1",
        "snapkv:window=32,kernel=7,budget=512", "random:keep=0.5,seed=1", "recency:window=8,interval=16",
        "pyramidkv:layers=16", "pyramidkv:window=16,kernel=5,budget=0.25,pooling=max,layers=28,beta=10,interval=64",
        "adakv", "adakv:window=8,kernel=3,budget=0.2,pooling=max,alpha=0.35,interval=128", "tova",
        "tova:budget=0.125,interval=32"}) {
    auto policy = make_policy(text);
    EXPECT_EQ(policy->name(), parse_policy_spec(text).name);
    EXPECT_EQ(make_policy(policy->spec())->spec(), policy->spec()) << text;
  }
  EXPECT_EQ(make_policy("recency:window=8,interval=16")->update_interval(), 16);
  EXPECT_TRUE(make_policy("h2o")->needs_attention());
  EXPECT_TRUE(make_policy("snapkv")->needs_attention());
  EXPECT_FALSE(make_policy("streaming")->needs_attention());
  EXPECT_THROW(make_policy("recency"), ConfigError);  // window is required
  EXPECT_THROW(make_policy("snapkv:kernel=4"), ConfigError);
  EXPECT_THROW(make_policy("snapkv:pooling=median"), ConfigError);
  EXPECT_THROW(make_policy("l2:keep=2.5"), ConfigError);
  try {
    make_policy("h2o:heavy=1,window=3");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("accepted keys: heavy, recent, interval"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace evomem::memory
