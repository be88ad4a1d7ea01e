// The dashboard's files (web/), compiled into the binary by cmake/EmbedWeb.cmake.
#pragma once

#include <string>
#include <vector>

namespace fst::serving {

struct WebAsset {
  std::string path;  // relative to web/, e.g. "index.html", "vendor/chart.umd.min.js"
  std::string content_type;
  std::string body;
};

// Every file, built once on first use; thread-safe.
const std::vector<WebAsset>& WebAssets();

}  // namespace fst::serving
