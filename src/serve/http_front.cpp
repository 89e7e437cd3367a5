#include "serve/http_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <vector>

namespace trellis::serve {

using Clock = std::chrono::steady_clock;

// ---- framing ---------------------------------------------------------------------------------

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

RequestFrame fail(RequestFrame f, int status, std::string message) {
  f.state = RequestFrame::State::kError;
  f.error_status = status;
  f.error = std::move(message);
  return f;
}

// The chunked body starting at `body`: kComplete with its framed size, kIncomplete, or kError.
// Chunk data is skipped by its declared size, so a 20 MB body costs a few hundred steps.
RequestFrame frame_chunked(std::string_view body, RequestFrame f, const FrameLimits& limits) {
  size_t pos = 0, decoded = 0, chunks = 0;
  constexpr size_t kMaxLine = 1024;  // a chunk-size line with extensions
  // The front frames the buffer again after each read; bounding the chunks bounds that work.
  constexpr size_t kMaxChunks = 100'000;
  while (true) {
    if (++chunks > kMaxChunks) return fail(f, 400, "too many chunks in a chunked body");
    const size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (body.size() - pos > kMaxLine) return fail(f, 400, "chunk size line is too long");
      return f;
    }
    if (eol - pos > kMaxLine) return fail(f, 400, "chunk size line is too long");
    std::string_view line = body.substr(pos, eol - pos);
    line = line.substr(0, line.find(';'));
    line = trim_ows(line);
    if (line.empty() || line.size() > 15) return fail(f, 400, "malformed chunk size");
    size_t size = 0;
    for (char c : line) {
      const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                : -1;
      if (v < 0) return fail(f, 400, "malformed chunk size");
      size = size * 16 + static_cast<size_t>(v);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      while (true) {
        const size_t end = body.find("\r\n", pos);
        if (end == std::string_view::npos) {
          if (body.size() - pos > limits.max_head_bytes) return fail(f, 431, "trailers too large");
          return f;
        }
        if (end == pos) {
          f.state = RequestFrame::State::kComplete;
          f.total_size = f.head_size + end + 2;
          return f;
        }
        pos = end + 2;
      }
    }
    decoded += size;
    if (decoded > limits.max_body_bytes) {
      return fail(f, 413,
                  "request body is too large (more than " + std::to_string(limits.max_body_bytes) +
                      " bytes)");
    }
    if (body.size() < pos + size + 2) return f;
    if (body.substr(pos + size, 2) != "\r\n")
      return fail(f, 400, "chunk data is not followed by CRLF");
    pos += size + 2;
  }
}

}  // namespace

RequestFrame frame_request(std::string_view buffer, const FrameLimits& limits) {
  RequestFrame f;
  const size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > limits.max_head_bytes) {
      return fail(f, 431,
                  "request head is too large (more than " + std::to_string(limits.max_head_bytes) +
                      " bytes)");
    }
    return f;
  }
  if (head_end + 4 > limits.max_head_bytes) {
    return fail(f, 431,
                "request head is too large (more than " + std::to_string(limits.max_head_bytes) +
                    " bytes)");
  }
  f.head_done = true;
  f.head_size = head_end + 4;
  const std::string_view head = buffer.substr(0, head_end + 2);  // each line ends in CRLF

  // Request line: method SP target SP HTTP/1.x
  size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(f, 400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  for (unsigned char c : method) {
    if (!is_token_char(c)) return fail(f, 400, "malformed request method");
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return fail(f, 505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  f.method = std::string(method);
  f.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));

  bool has_length = false;
  size_t length = 0;
  bool has_transfer_encoding = false;
  size_t pos = eol + 2;
  while (pos < head.size()) {
    eol = head.find("\r\n", pos);
    const std::string_view field = head.substr(pos, eol - pos);
    const size_t line_begin = pos;
    pos = eol + 2;
    if (field.empty() || field.front() == ' ' || field.front() == '\t') {
      return fail(f, 400, "malformed header line (folded or empty)");
    }
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(f, 400, "malformed header line");
    const std::string_view name = field.substr(0, colon);
    for (unsigned char c : name) {
      if (!is_token_char(c)) return fail(f, 400, "malformed header name");
    }
    const std::string_view value = trim_ows(field.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        return fail(f, 400, "malformed Content-Length");
      }
      const size_t v = std::stoull(std::string(value));
      if (has_length && v != length) return fail(f, 400, "conflicting Content-Length headers");
      has_length = true;
      length = v;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (!iequals(value, "chunked")) {
        return fail(f, 501, "Transfer-Encoding other than chunked is not supported");
      }
      if (has_transfer_encoding) return fail(f, 400, "repeated Transfer-Encoding");
      has_transfer_encoding = true;
    } else if (iequals(name, "Expect")) {
      if (!iequals(value, "100-continue")) return fail(f, 417, "unsupported Expect header");
      f.expect_continue = true;
      f.expect_begin = line_begin;
      f.expect_end = pos;
    }
  }
  if (has_length && has_transfer_encoding) {
    return fail(f, 400, "both Content-Length and Transfer-Encoding");
  }
  if (has_transfer_encoding) {
    f.chunked = true;
    return frame_chunked(buffer.substr(f.head_size), std::move(f), limits);
  }
  if (length > limits.max_body_bytes) {
    return fail(f, 413,
                "request body is too large (" + std::to_string(length) + " bytes; at most " +
                    std::to_string(limits.max_body_bytes) + ")");
  }
  f.body_needed = length;  // no Content-Length: no body (RFC 9112 6.3)
  if (buffer.size() >= f.head_size + length) {
    f.state = RequestFrame::State::kComplete;
    f.total_size = f.head_size + length;
  }
  return f;
}

std::string error_response(int status, std::string_view message, bool close) {
  const char* reason = "Error";
  switch (status) {
    case 400:
      reason = "Bad Request";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 413:
      reason = "Payload Too Large";
      break;
    case 417:
      reason = "Expectation Failed";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 500:
      reason = "Internal Server Error";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 505:
      reason = "HTTP Version Not Supported";
      break;
    default:
      break;
  }
  const std::string body = nlohmann::json{{"error", message}, {"status", status}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + reason +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  if (status == 503) out += "Retry-After: 1\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

// ---- the event loop ----------------------------------------------------------------------------

namespace {

bool is_control_request(const RequestFrame& f) {
  if (f.method != "GET" && f.method != "HEAD") return false;
  const std::string_view path = std::string_view(f.target).substr(0, f.target.find('?'));
  return path == "/ping" || path == "/healthz" || path == "/metrics" || path == "/version";
}

// Best effort for canned answers on a non-blocking socket: what fits the send buffer.
void send_now(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

class SocketSink final : public ResponseSink {
 public:
  SocketSink(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  bool write_all(std::string_view bytes) override {
    const auto deadline = Clock::now() + timeout_;
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        continue;
      }
      return false;
    }
    return true;
  }

 private:
  int fd_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

struct HttpFront::Impl {
  struct Conn {
    int fd = -1;
    std::string in;           // bytes received and not yet handed on
    size_t charged = 0;       // this connection's share of `buffered`
    bool dispatched = false;  // a worker holds it; the loop does not watch the socket
    bool reading = false;     // some bytes of a request have arrived
    bool head_done = false;   // ... and all of its head
    bool continued = false;   // "100 Continue" sent for the current request
    bool lingering = false;   // answered with an error; reading and dropping what still comes
    Clock::time_point linger_until;
    Clock::time_point request_started, last_read, idle_since;
    std::string remote_ip;
    int remote_port = 0;
  };
  struct Job {
    Conn* conn;
    BufferedRequest request;
  };
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> jobs;
    std::vector<std::thread> threads;
  };

  FrontOptions options;
  RequestHandler handler;
  RejectHook on_reject;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
  int bound_port = 0;
  std::atomic<bool> running{false}, stopping{false};
  std::atomic<size_t> open{0};
  bool listener_paused = false;  // out of descriptors: stop accepting for a moment
  Clock::time_point listener_resume;

  std::unordered_map<int, std::unique_ptr<Conn>> conns;  // loop thread only
  size_t buffered = 0;                                   // loop thread only
  Lane main_lane, control_lane;
  std::atomic<bool> lanes_stopping{false};
  std::mutex done_mu;
  std::vector<std::pair<Conn*, bool>> done;  // guarded by done_mu: (connection, keep open)
  size_t in_flight = 0;                      // loop thread only

  Impl(FrontOptions o, RequestHandler h, RejectHook r)
      : options(std::move(o)), handler(std::move(h)), on_reject(std::move(r)) {}

  FrameLimits limits() const { return {options.max_head_bytes, options.max_body_bytes}; }

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }

  void charge(Conn& c, size_t bytes) {
    buffered = buffered - c.charged + bytes;
    c.charged = bytes;
  }

  void close_conn(Conn* c) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    charge(*c, 0);
    conns.erase(c->fd);
    open = conns.size();
  }

  // Answers and closes "lingering": a client still sending its body (a 413 refused from the
  // head, say) would otherwise get a reset instead of the answer - closing a socket with unread
  // data sends RST - so the rest of its bytes are read and dropped for up to 2 s first.
  void reject(Conn* c, int status, std::string_view message) {
    send_now(c->fd, error_response(status, message));
    if (on_reject) on_reject(status);
    ::shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    c->linger_until = Clock::now() + std::chrono::seconds(2);
    c->in.clear();
    c->in.shrink_to_fit();
    charge(*c, 0);
  }

  void drain(Conn* c) {
    char buf[64 << 10];
    while (true) {
      const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      close_conn(c);  // EOF or error: the client has read the answer or gone
      return;
    }
  }

  void watch(Conn* c) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c->fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev);
  }

  void accept_all() {
    while (true) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: the listener would stay readable and spin the loop.
          spdlog::warn("out of file descriptors with {} connections open; pausing accept",
                       conns.size());
          ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
          listener_paused = true;
          listener_resume = Clock::now() + std::chrono::milliseconds(100);
        }
        return;
      }
      if (static_cast<int>(conns.size()) >= options.max_connections) {
        send_now(fd, error_response(503, "the server is at its connection limit (" +
                                             std::to_string(options.max_connections) +
                                             "); retry shortly"));
        if (on_reject) on_reject(503);
        ::close(fd);
        continue;
      }
      const int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->idle_since = Clock::now();
      char ip[INET6_ADDRSTRLEN] = "";
      if (addr.ss_family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        c->remote_port = ntohs(a->sin_port);
      } else if (addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        c->remote_port = ntohs(a->sin6_port);
      }
      c->remote_ip = ip;
      Conn* raw = c.get();
      conns.emplace(fd, std::move(c));
      open = conns.size();
      watch(raw);
    }
  }

  // Reads what the socket has, then hands on a request once it is complete.
  void on_readable(Conn* c) {
    char buf[64 << 10];
    bool peer_closed = false;
    while (true) {
      const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (!c->reading) {
          c->reading = true;
          c->request_started = Clock::now();
        }
        c->last_read = Clock::now();
        c->in.append(buf, static_cast<size_t>(n));
        charge(*c, std::max(c->charged, c->in.size()));
        if (!advance(c)) return;  // rejected (closed) or handed to a worker
        continue;
      }
      if (n == 0) peer_closed = true;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) peer_closed = true;
      break;
    }
    if (peer_closed) close_conn(c);
  }

  // Frames the buffer. False when the connection left the loop's hands (rejected or dispatched).
  bool advance(Conn* c) {
    const RequestFrame f = frame_request(c->in, limits());
    if (f.state == RequestFrame::State::kError) {
      reject(c, f.error_status, f.error);
      return false;
    }
    c->head_done = f.head_done;
    if (f.head_done) {
      const size_t need = f.chunked ? c->in.size() : f.head_size + f.body_needed;
      if (need > c->charged && buffered - c->charged + need > options.max_buffered_bytes) {
        reject(c, 503, "the server is holding its limit of request bytes; retry shortly");
        return false;
      }
      charge(*c, std::max(need, c->in.size()));
    }
    if (f.state == RequestFrame::State::kIncomplete) {
      if (f.head_done && f.expect_continue && !c->continued) {
        c->continued = true;
        send_now(c->fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
      return true;
    }
    dispatch(c, f);
    return false;
  }

  void dispatch(Conn* c, const RequestFrame& f) {
    Job job{c, {}};
    job.request.remote_ip = c->remote_ip;
    job.request.remote_port = c->remote_port;
    if (f.expect_continue) {
      job.request.bytes.reserve(f.total_size);
      job.request.bytes.append(c->in, 0, f.expect_begin);
      job.request.bytes.append(c->in, f.expect_end, f.total_size - f.expect_end);
    } else {
      job.request.bytes.assign(c->in, 0, f.total_size);
    }
    c->in.erase(0, f.total_size);  // a pipelined next request stays
    c->dispatched = true;
    c->reading = false;
    c->head_done = false;
    c->continued = false;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
    ++in_flight;
    Lane& lane = is_control_request(f) ? control_lane : main_lane;
    {
      std::lock_guard lock(lane.mu);
      lane.jobs.push_back(std::move(job));
    }
    lane.cv.notify_one();
  }

  void worker(Lane& lane) {
    while (true) {
      Job job;
      {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return lanes_stopping || !lane.jobs.empty(); });
        if (lane.jobs.empty()) return;
        job = std::move(lane.jobs.front());
        lane.jobs.pop_front();
      }
      SocketSink sink(job.conn->fd, options.write_timeout);
      bool keep = false;
      try {
        keep = handler(job.request, sink, stopping.load());
      } catch (...) {
        // The handler promises not to throw; if it does anyway, the client still gets an answer.
        sink.write_all(error_response(500, "internal error"));
        keep = false;
      }
      {
        std::lock_guard lock(done_mu);
        done.emplace_back(job.conn, keep && !stopping.load());
      }
      wake();
    }
  }

  void collect_done() {
    std::vector<std::pair<Conn*, bool>> finished;
    {
      std::lock_guard lock(done_mu);
      finished.swap(done);
    }
    for (auto [c, keep] : finished) {
      --in_flight;
      c->dispatched = false;
      if (!keep) {
        close_conn(c);
        continue;
      }
      charge(*c, c->in.size());
      c->idle_since = Clock::now();
      if (!c->in.empty()) {
        c->reading = true;
        c->request_started = c->last_read = Clock::now();
        if (!advance(c)) {
          if (c->lingering) watch(c);  // refused: read and drop the rest before closing
          continue;
        }
      }
      watch(c);
    }
  }

  void sweep() {
    const auto now = Clock::now();
    std::vector<std::pair<Conn*, int>> expired;  // 0: close quietly; else the status to send
    for (auto& [fd, c] : conns) {
      if (c->dispatched) continue;
      if (c->lingering) {
        if (now > c->linger_until) expired.emplace_back(c.get(), 0);
        continue;
      }
      if (!c->reading) {
        if (now - c->idle_since > options.idle_timeout) expired.emplace_back(c.get(), 0);
        continue;
      }
      if ((!c->head_done && now - c->request_started > options.header_timeout) ||
          now - c->last_read > options.read_timeout ||
          now - c->request_started > options.body_timeout) {
        expired.emplace_back(c.get(), 408);
      }
    }
    for (auto [c, status] : expired) {
      if (status == 0) {
        close_conn(c);
      } else {
        reject(c, status, "the request did not arrive in time");
      }
    }
    if (listener_paused && now >= listener_resume && !stopping) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
      listener_paused = false;
    }
  }

  void loop() {
    std::vector<epoll_event> events(256);
    auto next_sweep = Clock::now();
    bool draining = false;
    while (true) {
      if (stopping && !draining) {
        draining = true;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
        ::close(listen_fd);
        listen_fd = -1;
        std::vector<Conn*> quiet;
        for (auto& [fd, c] : conns) {
          if (!c->dispatched) quiet.push_back(c.get());
        }
        for (Conn* c : quiet) close_conn(c);
      }
      if (draining && in_flight == 0) break;
      const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<size_t>(i)].data.fd;
        if (fd == wake_fd) {
          uint64_t v;
          [[maybe_unused]] ssize_t r = ::read(wake_fd, &v, sizeof v);
          collect_done();
          continue;
        }
        if (fd == listen_fd) {
          if (!draining) accept_all();
          continue;
        }
        auto it = conns.find(fd);
        if (it == conns.end() || it->second->dispatched) continue;
        if (it->second->lingering) {
          drain(it->second.get());
          continue;
        }
        on_readable(it->second.get());
      }
      collect_done();
      if (Clock::now() >= next_sweep) {
        sweep();
        next_sweep = Clock::now() + std::chrono::milliseconds(100);
      }
    }
    // Answered everything handed on; close what is left (kept-alive connections of the drain).
    std::vector<Conn*> rest;
    for (auto& [fd, c] : conns) rest.push_back(c.get());
    for (Conn* c : rest) close_conn(c);
  }
};

HttpFront::HttpFront(FrontOptions options, RequestHandler handler, RejectHook on_reject)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_reject))) {}

HttpFront::~HttpFront() {
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
  if (impl_->epoll_fd >= 0) ::close(impl_->epoll_fd);
  if (impl_->wake_fd >= 0) ::close(impl_->wake_fd);
}

Status HttpFront::bind() {
  const auto& o = impl_->options;
  const std::string where = o.host + ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(o.port);
  if (const int rc = ::getaddrinfo(o.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return unavailable("cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    // SO_REUSEADDR only: SO_REUSEPORT would let a second server bind the same port silently and
    // take half the traffic.
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      impl_->listen_fd = fd;
      break;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (impl_->listen_fd < 0) return unavailable("cannot listen on " + where + " (" + why + ")");
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl_->bound_port =
      ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                       : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) {
    return unavailable("cannot set up the event loop: " + std::string(std::strerror(errno)));
  }
  for (int fd : {impl_->listen_fd, impl_->wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  return Status::ok_status();
}

int HttpFront::port() const { return impl_->bound_port; }

void HttpFront::run() {
  Impl& m = *impl_;
  for (int i = 0; i < std::max(1, m.options.workers); ++i) {
    m.main_lane.threads.emplace_back([&m] { m.worker(m.main_lane); });
  }
  for (int i = 0; i < std::max(1, m.options.control_workers); ++i) {
    m.control_lane.threads.emplace_back([&m] { m.worker(m.control_lane); });
  }
  m.running = true;
  m.loop();
  m.lanes_stopping = true;
  for (Impl::Lane* lane : {&m.main_lane, &m.control_lane}) {
    { std::lock_guard lock(lane->mu); }  // a worker between its check and its wait sees it
    lane->cv.notify_all();
  }
  for (Impl::Lane* lane : {&m.main_lane, &m.control_lane}) {
    for (auto& t : lane->threads) t.join();
    lane->threads.clear();
  }
  m.running = false;
}

bool HttpFront::is_running() const { return impl_->running; }

void HttpFront::stop() {
  impl_->stopping = true;
  if (impl_->wake_fd >= 0) impl_->wake();
}

size_t HttpFront::open_connections() const { return impl_->open; }

}  // namespace trellis::serve
