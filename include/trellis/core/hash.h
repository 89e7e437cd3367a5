// SHA-256 digests: the identity of every stored blob and of the flow binary.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace trellis {

// Incremental SHA-256 (OpenSSL, uses the CPU's SHA extensions when present).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  // Lower-case hex of the 32-byte digest; the hasher must not be used afterwards.
  std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_hex(std::string_view bytes);

// True when `s` looks like a lower-case hex SHA-256 (64 chars of [0-9a-f]).
bool is_sha256_hex(std::string_view s);

}  // namespace trellis
