#pragma once
// memory::Genome: the flat float vector CMA-ES searches, with a named layout (names, shapes,
// offsets) that maps it onto the scorer's tensors and onto named tensors in files.

#include <cstdint>
#include <string>
#include <vector>

namespace evomem::memory {

// One named parameter tensor inside the flat vector.
struct GenomeEntry {
  std::string name;
  std::vector<std::int64_t> shape;
  std::int64_t offset = 0;
  std::int64_t size = 0;
};

// The ordered list of named tensors of a genome.
class GenomeLayout {
 public:
  // Appends a tensor; names must be unique.
  void add(const std::string& name, const std::vector<std::int64_t>& shape);
  const std::vector<GenomeEntry>& entries() const { return entries_; }
  std::int64_t size() const { return size_; }
  // nullptr when absent.
  const GenomeEntry* find(const std::string& name) const;
  // "name [a, b] @offset" lines, for `evomem namm info` and error messages.
  std::string describe() const;
  bool operator==(const GenomeLayout& other) const;
  bool operator!=(const GenomeLayout& other) const { return !(*this == other); }

 private:
  std::vector<GenomeEntry> entries_;
  std::int64_t size_ = 0;
};

// A genome: values laid out as `layout` says.
struct Genome {
  GenomeLayout layout;
  std::vector<float> values;

  static Genome zeros(const GenomeLayout& layout);
  // The values of one named tensor (a copy).
  std::vector<float> tensor(const std::string& name) const;
};

}  // namespace evomem::memory
