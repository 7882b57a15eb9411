# A thin shim for tools that always spawn node-gyp (node-gyp-build's fallback, prebuildify).
# cmake-js is the real build (CMakeLists.txt holds the one source list); scripts/gyp-shim.js runs it
# while gyp loads this file, unless a loadable prebuild exists and no source build was asked for.
{
  "targets": [
    {
      "target_name": "camu",
      "type": "none",
      "sources": ["<!@(node scripts/gyp-shim.js)"]
    }
  ]
}
