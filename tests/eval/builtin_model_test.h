#pragma once
// A test fixture holding the built-in backbone (models/evomem-tiny) and its tokenizer, loaded
// once per test suite.

#include <gtest/gtest.h>

#include <filesystem>

#include "model/backbone.h"
#include "model/tokenizer.h"

namespace evomem::eval {

class BuiltinModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto folder = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";
    backbone_ = new model::Backbone(model::Backbone::load(folder));
    tokenizer_ = new model::Tokenizer(model::Tokenizer::load(folder));
  }
  static void TearDownTestSuite() {
    delete backbone_;
    delete tokenizer_;
    backbone_ = nullptr;
    tokenizer_ = nullptr;
  }

  static inline model::Backbone* backbone_ = nullptr;
  static inline model::Tokenizer* tokenizer_ = nullptr;
};

}  // namespace evomem::eval
