#include "core/config.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace evomem::core {
namespace {

ConfigSchema run_schema() {
  ConfigSchema schema;
  schema.integer("evolution.population", 32, "members per generation")
      .number("evolution.sigma", 0.065, "initial step size")
      .string("evolution.strategy", "cmaes", "search strategy", {"cmaes", "sep"})
      .boolean("evolution.mirrored", false, "mirrored sampling")
      .number_list("evolution.mean", {}, "initial mean")
      .string_list("tasks.names", {"passkey"}, "tasks to evaluate")
      .number("tasks.*.weight", 1.0, "weight of one task")
      .integer("stages.*.generation", 0, "first generation of a stage")
      .optional("output.run_file", ConfigKind::kString, "where the run goes", true);
  return schema;
}

std::string config_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    Config config = Config::parse(text, "run.toml");
    for (const auto& assignment : overrides) config.set(assignment);
    config.validate(run_schema());
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ConfigTest, DefaultsAreFilledAndTypesConverted) {
  Config config = Config::parse(
      "[evolution]\nsigma = 1\n[output]\nrun_file = 'run.h5'\n[tasks.passkey]\n[tasks.kv]\nweight = 2\n", "run.toml");
  config.validate(run_schema());
  EXPECT_EQ(config.get_int("evolution.population"), 32);
  EXPECT_DOUBLE_EQ(config.get_double("evolution.sigma"), 1.0);
  EXPECT_EQ(config.get_string("evolution.strategy"), "cmaes");
  EXPECT_FALSE(config.get_bool("evolution.mirrored"));
  EXPECT_EQ(config.get_strings("tasks.names"), std::vector<std::string>{"passkey"});
  EXPECT_DOUBLE_EQ(config.get_double("tasks.passkey.weight"), 1.0);
  EXPECT_DOUBLE_EQ(config.get_double("tasks.kv.weight"), 2.0);
  EXPECT_EQ(config.children("tasks"), (std::vector<std::string>{"kv", "passkey"}));
  EXPECT_TRUE(config.get_doubles("evolution.mean").empty());
}

TEST(ConfigTest, OverridesParseTomlValuesOrBareStrings) {
  Config config = Config::parse("[output]\nrun_file = 'a.h5'\n", "run.toml");
  config.set("evolution.sigma=0.5");
  config.set("evolution.mean=[1, 2.5]");
  config.set("output.run_file=runs/b.h5");
  config.set("evolution.strategy=sep");
  config.set("tasks.names=[\"a\", \"b\"]");
  config.validate(run_schema());
  EXPECT_DOUBLE_EQ(config.get_double("evolution.sigma"), 0.5);
  EXPECT_EQ(config.get_doubles("evolution.mean"), (std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(config.get_string("output.run_file"), "runs/b.h5");
  EXPECT_EQ(config.get_string("evolution.strategy"), "sep");
  EXPECT_EQ(config.get_strings("tasks.names"), (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTest, NumericOverrideOfStringKeyStaysTheTypedText) {
  Config config = Config::parse("", "run.toml");
  config.set("output.run_file=123");
  config.validate(run_schema());
  EXPECT_EQ(config.get_string("output.run_file"), "123");
}

TEST(ConfigTest, ArrayOfTablesEntriesAreValidatedAndAddressable) {
  Config config = Config::parse("[output]\nrun_file='r.h5'\n[[stages]]\ngeneration = 0\n[[stages]]\ngeneration = 40\n",
                                "run.toml");
  config.set("stages.1.generation=50");
  config.validate(run_schema());
  EXPECT_EQ(config.children("stages"), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(config.get_int("stages.1.generation"), 50);
  EXPECT_NE(
      config_error("[output]\nrun_file='r.h5'\n[[stages]]\ngenration = 0\n").find("unknown key 'stages.0.genration'"),
      std::string::npos);
}

TEST(ConfigTest, UnknownKeysAreRejectedByNameWithAHint) {
  EXPECT_EQ(
      config_error("[evolution]\nsigm = 0.1\n[output]\nrun_file='r'\n"),
      "run.toml: unknown key 'evolution.sigm' (did you mean 'evolution.sigma'?); remove it or check its spelling");
  EXPECT_EQ(
      config_error("[output]\nrun_file='r'\n[tasks.kv]\nwieght = 1\n"),
      "run.toml: unknown key 'tasks.kv.wieght' (did you mean 'tasks.kv.weight'?); remove it or check its spelling");
  EXPECT_EQ(config_error("zzzzzzzzzz = 1\n[output]\nrun_file='r'\n"),
            "run.toml: unknown key 'zzzzzzzzzz'; remove it or check its spelling");
  EXPECT_EQ(config_error("[output]\nrun_file='r'\n", {"evolution.popsize=4"}),
            "run.toml: unknown key 'evolution.popsize'; remove it or check its spelling");
}

TEST(ConfigTest, WrongTypesAndChoicesAndMissingRequiredKeys) {
  EXPECT_EQ(config_error("[evolution]\npopulation = 3.5\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution.population' must be an integer, got floating-point");
  EXPECT_EQ(config_error("[evolution]\nsigma = 'big'\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution.sigma' must be a number, got string");
  EXPECT_EQ(config_error("[evolution]\nmean = [1, 'x']\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution.mean' must be an array of numbers, got array");
  EXPECT_EQ(config_error("[output]\nrun_file='r'\n", {"evolution.strategy=lbfgs"}),
            "run.toml: key 'evolution.strategy' is 'lbfgs'; allowed values: cmaes, sep");
  EXPECT_EQ(config_error("evolution = 3\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution' must be a table, got integer");
  EXPECT_EQ(config_error(""), "run.toml: required key 'output.run_file' is missing (where the run goes)");
}

// TOML has nan and inf literals; no number of a configuration may be one.
TEST(ConfigTest, NonFiniteNumbersAreRejected) {
  EXPECT_EQ(config_error("[evolution]\nsigma = nan\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution.sigma' must be a finite number, got nan");
  EXPECT_EQ(config_error("[output]\nrun_file='r'\n", {"evolution.sigma=-inf"}),
            "--set evolution.sigma=-inf: key 'evolution.sigma' must be a finite number, got infinity");
  EXPECT_EQ(config_error("[evolution]\nmean = [1.0, inf]\n[output]\nrun_file='r'\n"),
            "run.toml: key 'evolution.mean' must be an array of numbers, got array");
}

TEST(ConfigTest, BadOverridesAreNamedAsWritten) {
  EXPECT_EQ(config_error("[output]\nrun_file='r'\n", {"evolution.population=1e30"}),
            "--set evolution.population=1e30: key 'evolution.population' must be an integer, got floating-point");
}

TEST(ConfigTest, SyntaxErrorsNameLineAndColumn) {
  const std::string message = config_error("[evolution]\nsigma = = 1\n");
  EXPECT_EQ(message.rfind("run.toml:2:", 0), 0u) << message;
}

TEST(ConfigTest, MalformedOverrides) {
  Config config;
  EXPECT_THROW(config.set("no_equals_sign"), ConfigError);
  EXPECT_THROW(config.set("=3"), ConfigError);
  EXPECT_THROW(config.set("a..b=3"), ConfigError);
  config.set("a=3");
  EXPECT_THROW(config.set("a.b=3"), ConfigError);  // a is a value, not a table
}

TEST(ConfigTest, SerialisedConfigParsesBackToTheSameValues) {
  Config config = Config::parse("[output]\nrun_file = 'r.h5'\n[tasks.kv]\nweight = 2\n", "run.toml");
  config.set("evolution.mean=[0.5, -1e-3]");
  config.validate(run_schema());
  const std::string text = config.to_toml();
  Config reloaded = Config::parse(text, "reloaded");
  reloaded.validate(run_schema());
  EXPECT_EQ(reloaded.to_toml(), text);
  EXPECT_EQ(reloaded.get_doubles("evolution.mean"), (std::vector<double>{0.5, -1e-3}));
  EXPECT_DOUBLE_EQ(reloaded.get_double("evolution.sigma"), 0.065);
  EXPECT_DOUBLE_EQ(reloaded.get_double("tasks.kv.weight"), 2.0);
}

TEST(ConfigTest, MissingKeyAccess) {
  Config config;
  EXPECT_FALSE(config.has("a.b"));
  EXPECT_THROW(config.get_int("a.b"), ConfigError);
}

}  // namespace
}  // namespace evomem::core
