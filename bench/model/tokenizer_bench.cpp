// Encode throughput of evomem's tokenizer on a text file, line by line without special
// tokens (what bench/model/tokenizer_throughput.sh compares with the npm reference).
// Prints one JSON line:
//   {"load_seconds", "first_pass_mb_per_s" (empty word cache), "mb_per_s" (steady state),
//    "bytes", "seconds", "tokens"}
//
//   tokenizer_bench --tokenizer DIR_OR_FILE --text FILE [--seconds 3]

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json_file.h"
#include "model/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
  using namespace evomem;
  std::string tokenizer_path;
  std::string text_path;
  double budget = 3.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--tokenizer") tokenizer_path = value;
    else if (flag == "--text") text_path = value;
    else if (flag == "--seconds") budget = std::stod(value);
    else {
      std::cerr << "tokenizer_bench: unknown flag " << flag << "\n";
      return 1;
    }
  }
  if (tokenizer_path.empty() || text_path.empty()) {
    std::cerr << "usage: tokenizer_bench --tokenizer DIR_OR_FILE --text FILE [--seconds 3]\n";
    return 1;
  }
  try {
    std::ifstream file(text_path, std::ios::binary);
    if (!file) throw InputError(text_path + ": cannot be read");
    std::vector<std::string> lines;
    std::size_t bytes = 0;
    for (std::string line; std::getline(file, line);) {
      bytes += line.size() + 1;
      lines.push_back(std::move(line));
    }

    const auto load_start = Clock::now();
    const model::Tokenizer tokenizer = model::Tokenizer::load(tokenizer_path);
    const double load_seconds = seconds_since(load_start);

    std::size_t tokens = 0;
    const auto first_start = Clock::now();
    for (const std::string& line : lines) tokens += tokenizer.encode(line, false).size();
    const double first_seconds = seconds_since(first_start);

    std::size_t rounds = 0;
    tokens = 0;
    const auto start = Clock::now();
    double elapsed = 0.0;
    do {
      for (const std::string& line : lines) tokens += tokenizer.encode(line, false).size();
      ++rounds;
      elapsed = seconds_since(start);
    } while (elapsed < budget);

    const double total_bytes = static_cast<double>(bytes * rounds);
    std::cout << core::Json{{"load_seconds", load_seconds},
                            {"first_pass_mb_per_s", static_cast<double>(bytes) / first_seconds / 1e6},
                            {"mb_per_s", total_bytes / elapsed / 1e6},
                            {"bytes", total_bytes},
                            {"seconds", elapsed},
                            {"tokens", tokens}}
                     .dump()
              << "\n";
  } catch (const InputError& error) {
    std::cerr << "tokenizer_bench: error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
