#pragma once
// IEEE half (F16) and bfloat16 (BF16) conversions; float -> half rounds to nearest even.

#include <cstdint>

namespace evomem::core {

float f16_to_float(std::uint16_t bits);
std::uint16_t float_to_f16(float value);
float bf16_to_float(std::uint16_t bits);
std::uint16_t float_to_bf16(float value);

}  // namespace evomem::core
