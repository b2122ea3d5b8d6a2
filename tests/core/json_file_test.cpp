#include "core/json_file.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace evomem::core {
namespace {

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const FormatError& error) {
    return error.what();
  }
  return "";
}

TEST(JsonFileTest, TypedFieldsAndMessages) {
  const Json document = parse_json(R"({"hidden_size": 256, "eps": 1e-5, "name": "llama", "tied": true,
                                       "rope_scaling": {"factor": "8"}, "float_int": 4.0})",
                                   "config.json");
  const JsonObject config(document, "config.json");
  EXPECT_EQ(config.integer("hidden_size"), 256);
  EXPECT_EQ(config.integer("float_int"), 4);
  EXPECT_DOUBLE_EQ(config.number("eps"), 1e-5);
  EXPECT_EQ(config.string("name"), "llama");
  EXPECT_TRUE(config.boolean("tied"));
  EXPECT_EQ(config.integer_or("absent", 7), 7);
  EXPECT_EQ(message_of([&] { config.string("hidden_size"); }),
            "config.json: field 'hidden_size' must be a string, got number");
  EXPECT_EQ(message_of([&] { config.integer("eps"); }), "config.json: field 'eps' must be an integer, got number");
  EXPECT_EQ(message_of([&] { config.integer("vocab_size"); }), "config.json: field 'vocab_size' is missing");
  EXPECT_EQ(message_of([&] { config.object("rope_scaling").number("factor"); }),
            "config.json: field 'rope_scaling.factor' must be a number, got string");
}

TEST(JsonFileTest, InvalidJsonNamesSourceAndPosition) {
  const std::string message = message_of([] { parse_json("{\"a\": 1,,}", "tokenizer.json"); });
  EXPECT_NE(message.find("tokenizer.json: invalid JSON at byte"), std::string::npos) << message;
  EXPECT_THROW(read_json_file("/nonexistent/config.json"), InputError);
}

// Found by the fuzz targets: numbers outside double's or int64's range were an uncaught
// nlohmann::json exception (parse) and undefined behaviour (the cast in integer()).
TEST(JsonFileTest, NumbersOutOfRangeAreFormatErrors) {
  EXPECT_EQ(message_of([] { parse_json("[1e999]", "x.json"); }),
            "x.json: invalid JSON (number overflow parsing '1e999')");
  const Json document = parse_json(
      R"({"big": 1e300, "huge": 18446744073709551615, "low": -9.3e18, "top": 9223372036854775807})", "config.json");
  const JsonObject config(document, "config.json");
  EXPECT_EQ(message_of([&] { config.integer("big"); }), "config.json: field 'big' must be an integer, got number");
  EXPECT_EQ(message_of([&] { config.integer("huge"); }),
            "config.json: field 'huge' must be an integer below 2^63, got number");
  EXPECT_EQ(message_of([&] { config.integer("low"); }), "config.json: field 'low' must be an integer, got number");
  EXPECT_EQ(config.integer("top"), INT64_MAX);
}

}  // namespace
}  // namespace evomem::core
