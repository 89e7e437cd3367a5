// The connection front of trellis-serve. One event loop (epoll) owns every client socket and
// reads each request completely - head and body, under deadlines and a memory budget - before a
// worker thread sees it. A slow or idle client therefore costs a buffer, never a thread: 70
// slowloris clients or 500 idle keep-alive connections leave /ping and fresh clients unaffected.
// Past the connection cap a client gets an immediate 503. Health checks (GET /ping, /healthz,
// /metrics, /version) have workers of their own, so they never queue behind /invocations.
// Parsing and routing of the buffered request stay with cpp-httplib (http_server.cpp); this file
// only finds where a request ends (Content-Length or chunked framing), which is also all it
// trusts: the handler reads exactly those bytes and never the socket.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "trellis/core/status.h"

namespace trellis::serve {

struct FrontOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                                   // 0: any free port
  int max_connections = 1024;                        // beyond it: 503 at once, then close
  size_t max_head_bytes = 64u << 10;                 // request line + headers; beyond it: 431
  size_t max_body_bytes = 20u << 20;                 // beyond it: 413
  size_t max_buffered_bytes = 256u << 20;            // request bytes held over all connections: 503
  std::chrono::milliseconds header_timeout{10'000};  // the whole head, from its first byte: 408
  std::chrono::milliseconds read_timeout{10'000};    // a pause inside a request: 408
  std::chrono::milliseconds body_timeout{60'000};    // a whole request, from its first byte: 408
  std::chrono::milliseconds idle_timeout{5'000};     // a kept-alive connection between requests
  std::chrono::milliseconds write_timeout{10'000};   // writing one response
  int workers = 64;                                  // requests handled at once
  int control_workers = 2;                           // for the health checks
};

// Where a request in a buffer ends. Pure; used by the front, its tests and the fuzzer.
struct FrameLimits {
  size_t max_head_bytes = 64u << 10;
  size_t max_body_bytes = 20u << 20;
};
struct RequestFrame {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  int error_status = 0;  // kError: 400, 413, 431 or 501
  std::string error;     // kError: for the client
  bool head_done = false;
  size_t head_size = 0;    // bytes of request line + headers + the blank line
  size_t total_size = 0;   // kComplete: head + body as framed
  size_t body_needed = 0;  // head_done with Content-Length: the body's bytes
  bool chunked = false;
  bool expect_continue = false;
  std::string method, target;
  // The "Expect: 100-continue" line, [begin, end) in the buffer, removed before handling (the
  // front answers "100 Continue" itself).
  size_t expect_begin = 0, expect_end = 0;
};
RequestFrame frame_request(std::string_view buffer, const FrameLimits& limits);

// A whole request as it arrived.
struct BufferedRequest {
  std::string bytes;  // request line, headers (minus Expect), body
  std::string remote_ip;
  int remote_port = 0;
};

// Writes a handler's response to its client, whole (blocking, under the write timeout).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual bool write_all(std::string_view bytes) = 0;
};

// Answers one request through `out`. `closing`: the server is stopping, so the response should
// say "Connection: close". Returns false to close the connection afterwards. Must not throw.
using RequestHandler =
    std::function<bool(const BufferedRequest& request, ResponseSink& out, bool closing)>;
// Called for each request the front answers itself (408, 413, 431, 503...), for the metrics.
using RejectHook = std::function<void(int status)>;

// A canned response with a JSON error body: what the front sends without a handler.
std::string error_response(int status, std::string_view message, bool close = true);

class HttpFront {
 public:
  HttpFront(FrontOptions options, RequestHandler handler, RejectHook on_reject = nullptr);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds and listens. kUnavailable naming host:port when it cannot.
  Status bind();
  int port() const;
  // Serves until stop(); returns once every request handed to a worker has been answered.
  void run();
  bool is_running() const;
  // Thread-safe; run() stops accepting, drops connections between or inside reads, finishes
  // what workers hold, and returns.
  void stop();

  size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trellis::serve
