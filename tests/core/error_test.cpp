#include "core/error.h"

#include <gtest/gtest.h>

namespace evomem {
namespace {

TEST(ErrorTest, InputErrorsAreDistinctFromInternalErrors) {
  EXPECT_THROW(throw FormatError("x"), InputError);
  EXPECT_THROW(throw ConfigError("x"), InputError);
  try {
    throw InternalError("broken");
  } catch (const InputError&) {
    FAIL() << "an internal error must not be reported as the user's fault";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "broken");
  }
}

TEST(ErrorTest, CheckThrowsInternalErrorWithConditionAndLocation) {
  const int budget = 3;
  try {
    EVOMEM_CHECK(budget > 5, "budget is " + std::to_string(budget));
    FAIL() << "EVOMEM_CHECK did not throw";
  } catch (const InternalError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("budget > 5"), std::string::npos) << message;
    EXPECT_NE(message.find("budget is 3"), std::string::npos) << message;
    EXPECT_NE(message.find("error_test.cpp:"), std::string::npos) << message;
  }
}

TEST(ErrorTest, CheckPassesSilentlyAndEvaluatesOnce) {
  int evaluations = 0;
  EVOMEM_CHECK(++evaluations == 1);
  EXPECT_EQ(evaluations, 1);
}

}  // namespace
}  // namespace evomem
