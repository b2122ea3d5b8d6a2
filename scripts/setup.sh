#!/usr/bin/env bash
# Installs everything evomem needs on a Debian 12 machine: the Debian packages of
# docs/dependencies (DESIGN table), OpenBLAS selected as the system BLAS/LAPACK, and the npm
# packages the test suite uses as oracles (into the git-ignored .deps/npm of the checkout).
# Idempotent: packages already present are not reinstalled and `apt-get update` runs at most
# once per invocation, only when something is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debian_packages=(
  build-essential cmake pkg-config ccache git clang-format-14
  clang-14 libclang-rt-14-dev libfuzzer-14-dev  # the fuzz preset (scripts/fuzz.sh)
  libtorch-dev
  libopenblas0-pthread libopenblas-pthread-dev
  libeigen3-dev
  libopenmpi-dev openmpi-bin
  libhdf5-dev
  libcli11-dev
  nlohmann-json3-dev
  libtomlplusplus-dev
  libpcre2-dev
  libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium
  python3 python3-h5py python3-numpy python3-jieba python3-fuzzywuzzy
  python3-torch  # the PyTorch NAMM scorer and the importer of published checkpoints (tests)
  nodejs npm
)

# Node and npm may come from elsewhere than Debian (a newer Node in /usr/local, say): only
# ask apt for them when no working command exists.
command -v node >/dev/null 2>&1 && debian_packages=("${debian_packages[@]/nodejs/}")
command -v npm >/dev/null 2>&1 && debian_packages=("${debian_packages[@]/npm/}")

missing=()
for package in "${debian_packages[@]}"; do
  [[ -z "$package" ]] && continue
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

if ((${#missing[@]})); then
  echo "evomem setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Reference BLAS makes LibTorch and LAPACK an order of magnitude slower; pin OpenBLAS.
arch_triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)"
for library in libblas.so.3 liblapack.so.3; do
  provider="/usr/lib/${arch_triplet}/openblas-pthread/${library}"
  if [[ -e "$provider" ]]; then
    current="$(update-alternatives --query "${library}-${arch_triplet}" 2>/dev/null | awk '/^Value:/ {print $2}')"
    if [[ "$current" != "$provider" ]]; then
      as_root update-alternatives --set "${library}-${arch_triplet}" "$provider" >/dev/null
    fi
  fi
done

# npm oracles for the tokenizer tests, pinned by package-lock in .deps/npm.
npm_dir="${repo_root}/.deps/npm"
mkdir -p "$npm_dir"
cp "${repo_root}/scripts/npm-oracles.json" "${npm_dir}/package.json"
if [[ ! -d "${npm_dir}/node_modules/@huggingface/tokenizers" ]]; then
  echo "evomem setup: installing npm test oracles into .deps/npm"
  (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

echo "evomem setup: done"
