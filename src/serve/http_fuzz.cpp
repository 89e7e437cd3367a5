// libFuzzer target: arbitrary bytes as they would arrive on a connection -> HttpServer::answer,
// i.e. the front's framing, httplib's parsing and routing, and every handler (/invocations with
// JSON, base64 and image decoding, /admin/reload, the error paths) against FakeInference.
// Besides crashes and sanitizer reports it checks that whatever is answered is HTTP.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "serve/http_server.h"
#include "testing/fake_inference.h"

namespace ts = trellis::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ts::HttpServer* server = [] {
    spdlog::set_level(spdlog::level::off);
    static trellis::test::FakeInference inference;
    static ts::Metrics metrics;
    ts::HttpOptions o;
    o.admin_token = "fuzz";
    o.max_body_bytes = 1u << 20;
    o.image_limits.max_pixels = 1 << 20;  // keeps each run fast; the limit paths still run
    o.max_request_pixels = 4 << 20;
    return new ts::HttpServer(o, inference, metrics);
  }();
  const std::string out =
      server->answer(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!out.empty() && out.rfind("HTTP/1.1 ", 0) != 0) {
    std::fprintf(stderr, "answer is not an HTTP response: %.80s\n", out.c_str());
    std::abort();
  }
  return 0;
}
