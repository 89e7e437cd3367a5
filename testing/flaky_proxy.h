// FlakyProxy: a loopback TCP proxy for tests of remote clients. It forwards
// connections to an upstream 127.0.0.1 port, except that the first
// `fail_first` connections are answered "503 Service Unavailable" or dropped
// (reset) after their request headers arrive, so retries can be proven against
// a real server. lose_answer_to(marker) closes a forwarded connection instead of passing on
// the upstream's answer to a message containing `marker` (a COMMIT that took effect while
// the client never hears so). Also closed_loopback_port(): a port nobody listens on.
// Threads: one accepting, one per forwarded connection; all joined by the destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace trellis::test {

enum class ProxyFault { kServiceUnavailable, kReset };

class FlakyProxy {
 public:
  FlakyProxy(int upstream_port, int fail_first, ProxyFault fault)
      : upstream_port_(upstream_port), fail_first_(fail_first), fault_(fault) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback(0);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FlakyProxy() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }
  FlakyProxy(const FlakyProxy&) = delete;
  FlakyProxy& operator=(const FlakyProxy&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }  // connections so far, failed ones included

  // Once: the next client message (read) containing `marker` goes upstream, but when the
  // upstream answers, both sides are closed instead. Not while connections carry traffic.
  void lose_answer_to(std::string marker) {
    marker_ = std::move(marker);
    losing_armed_ = true;
  }
  int answers_lost() const { return answers_lost_.load(); }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      const int n = ++accepted_;
      std::lock_guard lock(mu_);
      if (n <= fail_first_) {
        connections_.emplace_back([this, fd] { fail(fd); });
      } else {
        connections_.emplace_back([this, fd] { forward(fd); });
      }
    }
  }

  // Waits for the end of the request headers (or 2 s), then fails the connection.
  void fail(int fd) {
    std::string seen;
    char buf[4096];
    for (int i = 0; i < 40 && seen.find("\r\n\r\n") == std::string::npos; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    if (fault_ == ProxyFault::kServiceUnavailable) {
      const std::string body =
          "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>";
      const std::string answer =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      (void)!::write(fd, answer.data(), answer.size());
    } else {
      linger hard{1, 0};  // close with RST: "connection reset by peer"
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    ::close(fd);
  }

  void forward(int client) {
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback(upstream_port_);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(upstream);
      ::close(client);
      return;
    }
    std::vector<char> buf(1 << 16);
    pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    bool open = true;
    bool losing = false;  // the next upstream answer is not passed on (lose_answer_to)
    while (open && !stop_) {
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::read(p[i].fd, buf.data(), buf.size());
        if (n <= 0) {
          open = false;
          break;
        }
        if (i == 0 && losing_armed_ &&
            std::string_view(buf.data(), static_cast<size_t>(n)).find(marker_) !=
                std::string_view::npos) {
          losing_armed_ = false;
          losing = true;
        } else if (i == 1 && losing) {
          ++answers_lost_;
          open = false;
          break;
        }
        const int to = p[1 - i].fd;
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = ::write(to, buf.data() + off, static_cast<size_t>(n - off));
          if (w <= 0) {
            open = false;
            break;
          }
          off += w;
        }
      }
    }
    ::close(upstream);
    ::close(client);
  }

  const int upstream_port_;
  const int fail_first_;
  const ProxyFault fault_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::string marker_;                    // written before losing_armed_ is set
  std::atomic<bool> losing_armed_{false};
  std::atomic<int> answers_lost_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // guarded by mu_
};

// A loopback port with no listener (bound, then closed): connecting is refused.
inline int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace trellis::test
