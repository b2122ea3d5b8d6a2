# Compiler settings shared by every evomem target: warnings, sanitizers, ccache and the
# helper that declares a module library.

find_program(EVOMEM_CCACHE ccache)
if(EVOMEM_CCACHE)
  # These sloppiness settings let ccache cache translation units that use the precompiled
  # LibTorch header (see evomem_precompile_torch_headers).
  set(_evomem_launcher "${CMAKE_COMMAND}" -E env "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime" "${EVOMEM_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER ${_evomem_launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${_evomem_launcher})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${_evomem_launcher})
endif()

# Warnings apply to evomem's own targets only, never to third-party headers.
add_library(evomem_warnings INTERFACE)
target_compile_options(evomem_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wno-unused-parameter>)
option(EVOMEM_WARNINGS_AS_ERRORS "Treat compiler warnings in evomem's own code as errors" OFF)
if(EVOMEM_WARNINGS_AS_ERRORS)
  target_compile_options(evomem_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()

add_library(evomem_sanitizers INTERFACE)
if(EVOMEM_SANITIZE)
  string(REPLACE "," ";" _evomem_sanitizer_list "${EVOMEM_SANITIZE}")
  foreach(_sanitizer IN LISTS _evomem_sanitizer_list)
    target_compile_options(evomem_sanitizers INTERFACE -fsanitize=${_sanitizer} -fno-omit-frame-pointer)
    target_link_options(evomem_sanitizers INTERFACE -fsanitize=${_sanitizer})
  endforeach()
endif()

# Fuzzing (fuzz/): every library gets libFuzzer's coverage instrumentation, and a sanitizer
# report aborts instead of printing and going on, so libFuzzer counts it as a crash. The fuzz
# targets themselves add -fsanitize=fuzzer (libFuzzer's main).
if(EVOMEM_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EVOMEM_BUILD_FUZZERS needs clang (libFuzzer): use the fuzz preset, which sets clang++-14")
  endif()
  target_compile_options(evomem_sanitizers INTERFACE -fsanitize=fuzzer-no-link -fno-sanitize-recover=all)
  target_link_options(evomem_sanitizers INTERFACE -fno-sanitize-recover=all)
endif()

# evomem_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Declares the library of one top-level folder as target evomem_<name> with alias
# evomem::<name>. Includes are rooted at the repository root ("#include \"core/error.h\"").
function(evomem_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target evomem_${name})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "evomem_module(${name}): a module needs SOURCES")
  endif()
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} evomem_sanitizers PRIVATE ${ARG_PRIVATE_DEPS} evomem_warnings)
  add_library(evomem::${name} ALIAS ${target})
endfunction()

# LibTorch's headers cost ~6 s of parsing per translation unit on a 2-core machine (measured:
# 9.4 s -> 3.2 s for model/attention.cpp). Libraries built on LibTorch precompile them once.
function(evomem_precompile_torch_headers)
  foreach(target IN LISTS ARGN)
    if(TARGET ${target})
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "STATIC_LIBRARY")
        target_precompile_headers(${target} PRIVATE <ATen/ATen.h>)
        if(EVOMEM_CCACHE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
          target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fpch-preprocess>)
        endif()
      endif()
    endif()
  endforeach()
endfunction()
