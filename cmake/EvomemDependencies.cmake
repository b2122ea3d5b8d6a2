# Every third-party dependency is found here, once, with a message that says which Debian
# package provides it (scripts/setup.sh installs them all).

macro(evomem_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "evomem: ${package} not found. Install the Debian package '${debian_package}' "
      "(bash scripts/setup.sh installs every dependency), or point CMAKE_PREFIX_PATH at it.")
  endif()
endmacro()

find_package(Threads REQUIRED)
find_package(OpenMP QUIET)
evomem_require(nlohmann_json nlohmann-json3-dev)
evomem_require(tomlplusplus libtomlplusplus-dev)
evomem_require(spdlog libspdlog-dev)
evomem_require(CLI11 libcli11-dev)
evomem_require(Eigen3 libeigen3-dev)
evomem_require(MPI libopenmpi-dev COMPONENTS CXX)
set(HDF5_PREFER_PARALLEL OFF)
evomem_require(HDF5 libhdf5-dev COMPONENTS C)

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
endif()
if(NOT PCRE2_FOUND)
  message(FATAL_ERROR "evomem: PCRE2 not found. Install the Debian package 'libpcre2-dev' (bash scripts/setup.sh).")
endif()

find_package(BLAS QUIET)
find_package(LAPACK QUIET)

# LibTorch: Debian's libtorch-dev by default. For a CUDA build, point CMAKE_PREFIX_PATH at the
# LibTorch of an installed PyTorch: python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'.
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "evomem: LibTorch not found. Install the Debian package 'libtorch-dev' (bash scripts/setup.sh), "
    "or set CMAKE_PREFIX_PATH to the output of: python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'")
endif()
# TorchConfig exports its flags as a plain list; wrap them in one target modules can link.
add_library(evomem_torch INTERFACE)
target_link_libraries(evomem_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(evomem_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
separate_arguments(_evomem_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(evomem_torch INTERFACE ${_evomem_torch_flags})

if(EVOMEM_BUILD_TESTS)
  evomem_require(GTest libgtest-dev)
endif()
if(EVOMEM_BUILD_BENCH)
  evomem_require(benchmark libbenchmark-dev)
endif()
