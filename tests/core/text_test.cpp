#include <gtest/gtest.h>

#include "core/text.h"
#include "core/utf8.h"

namespace evomem::core {
namespace {

TEST(TextTest, JoinAndShapes) {
  EXPECT_EQ(join({}), "");
  EXPECT_EQ(join({"a"}), "a");
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"a", "b"}, "|"), "a|b");
  EXPECT_EQ(shape_text({}), "[]");
  EXPECT_EQ(shape_text({32, 25}), "[32, 25]");
}

TEST(TextTest, SplitDropsEmptyPieces) {
  EXPECT_EQ(split(""), std::vector<std::string>{});
  EXPECT_EQ(split("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(split(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("x|y", '|'), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(split(join({"run", "stop"}, ",")), (std::vector<std::string>{"run", "stop"}));
}

TEST(TextTest, EndsWith) {
  EXPECT_TRUE(ends_with("model.norm.weight", "norm.weight"));
  EXPECT_TRUE(ends_with("abc", ""));
  EXPECT_TRUE(ends_with("abc", "abc"));
  EXPECT_FALSE(ends_with("bc", "abc"));
  EXPECT_FALSE(ends_with("abc", "ab"));
}

TEST(Utf8Test, EncodeDecodeRoundTrip) {
  const std::u32string code_points = {U'a', 0xE9, 0x4E2D, 0x1F600};
  const std::string text = code_points_to_utf8(code_points);
  EXPECT_EQ(text, "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_to_code_points(text), code_points);
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_FALSE(find_invalid_utf8(text).has_value());
}

TEST(Utf8Test, IllFormedInput) {
  // Overlong "/", a surrogate, a truncated sequence, and a stray continuation byte.
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("x\xE4\xB8"), 1u);
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);
  // Decoding replaces every byte that starts no well-formed sequence ...
  EXPECT_EQ(utf8_to_code_points("a\xE4\xB8"), (std::u32string{U'a', 0xFFFD, 0xFFFD}));
  // ... while to_valid_utf8 replaces each maximal ill-formed subpart once, as the WHATWG
  // decoder does.
  EXPECT_EQ(to_valid_utf8("a\xE4\xB8"), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace evomem::core
