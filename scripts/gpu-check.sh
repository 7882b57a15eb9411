#!/usr/bin/env bash
# The GPU check, one command on a machine with CUDA, nvcc, CMake, ninja and a CUDA PyTorch but no
# node and no network:   bash scripts/gpu-check.sh RESULTS_DIR
# Prepare first, on a machine with node: bash scripts/prepare-gpu-check.sh (see README "GPU check").
# It builds the addon against that PyTorch's libtorch with CUDA, checks the build variant, runs
# the fused intervention-loss kernels and Adam against the CPU reference, a CaMU run on CUDA, and the
# PyTorch implementation of the same run on the same GPU; everything lands in RESULTS_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:?usage: gpu-check.sh RESULTS_DIR}" && cd "$1" && pwd)
exec > >(tee "$out/gpu-check.log") 2>&1
start=$(date +%s)

mkdir -p /tmp/camu-node/bin
xz -dc .gpu/node.xz > /tmp/camu-node/bin/node
chmod +x /tmp/camu-node/bin/node
export PATH="/tmp/camu-node/bin:$PATH"
# The npm packages and Gloo headers that scripts/prepare-gpu-check.sh put in .gpu/.
export NODE_PATH="$PWD/.gpu/node_modules" CMAKE_INCLUDE_PATH="$PWD/.gpu/gloo-include"
python=${CAMU_PYTHON:-python3}
echo "node $(node --version); $($python -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))')"
nvidia-smi -L || true

libtorch=$($python -c "import os, torch; print(os.path.dirname(torch.__file__))")
build=/tmp/camu-build
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIBTORCH="$libtorch" \
  -DCMAKE_JS_INC="$PWD/node_modules/node-api-headers/include" -DCMAKE_CUDA_ARCHITECTURES=native > "$out/cmake.log" 2>&1 \
  || { tail -40 "$out/cmake.log"; exit 1; }
grep "camu:" "$out/cmake.log" || true
# The NCCL backend is compiled only where a CUDA libtorch has it; should it fail to compile, the
# rest of the check still runs on a build without it (distributedNccl then says why).
if ! cmake --build "$build" -j "$(nproc)" > "$out/build.log" 2>&1; then
  grep -E "error|Error" "$out/build.log" | head -40
  grep -q "process_group.cc" "$out/build.log" || exit 1
  echo "NCCL backend did not compile: building without it" | tee "$out/nccl-build-failed.txt"
  cmake -S . -B "$build" -DCAMU_WITH_NCCL=OFF >> "$out/cmake.log" 2>&1
  cmake --build "$build" -j "$(nproc)" > "$out/build-without-nccl.log" 2>&1 || { grep -E "error|Error" "$out/build-without-nccl.log" | head -40; exit 1; }
fi
echo "build: $(( $(date +%s) - start )) s"
ldd build/Release/camu.node | grep -E "torch|c10" > "$out/ldd.txt"
cat "$out/ldd.txt"

CAMU_PYTHON=$python node scripts/gpu-check.js "$out"

# The CUDA platform package (docs/installation.md): laid out from this build, moved elsewhere, and
# loaded from there with the wheel's folders out of reach of the loader's search.
if command -v patchelf > /dev/null && command -v objdump > /dev/null; then
  node scripts/package.js --addon build/Release --out /tmp/camu-package --stage-only
  rm -rf /tmp/camu-package-moved && cp -r /tmp/camu-package/stage/linux-x64-cuda /tmp/camu-package-moved
  du -sb /tmp/camu-package-moved | tee "$out/cuda-package-bytes.txt"
  env -u LD_LIBRARY_PATH node -e '
    const b = require("/tmp/camu-package-moved/lib/camu.node");
    const maps = require("fs").readFileSync("/proc/self/maps", "utf8").split("
").map((l) => l.split(/\s+/)[5]);
    const torch = [...new Set(maps.filter((f) => f && /lib(torch|c10|cudnn|cublas)/.test(f)))];
    const outside = torch.filter((f) => !f.startsWith("/tmp/camu-package-moved/"));
    console.log(JSON.stringify({ variant: b.info().variant, cuda: b.info().cuda, outside }));
    if (b.info().variant !== "cuda" || !b.info().cuda.available || outside.length > 0) process.exit(1);
  ' | tee "$out/cuda-package.json"
else
  echo "cuda package: skipped (needs patchelf and objdump)" | tee "$out/cuda-package.json"
fi
echo "total: $(( $(date +%s) - start )) s"
