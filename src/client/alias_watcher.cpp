#include "trellis/client/alias_watcher.h"

namespace trellis {

AliasWatcher::AliasWatcher(ClientOptions stores, std::string alias,
                           std::chrono::milliseconds interval,
                           std::function<bool(const Json&)> on_change,
                           std::function<void(const Status&)> on_error)
    : stores_(std::move(stores)),
      alias_(std::move(alias)),
      interval_(interval),
      on_change_(std::move(on_change)),
      on_error_(std::move(on_error)) {}

AliasWatcher::~AliasWatcher() { stop(); }

void AliasWatcher::start(const Json& current) {
  last_ = current.dump();
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void AliasWatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AliasWatcher::loop() {
  std::unique_ptr<Client> client;  // kept open: one connection, reopened after a failure
  bool failing = false;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    Status error;
    if (!client) {
      Result<std::unique_ptr<Client>> c = Client::open(stores_);
      if (c.ok()) client = std::move(c).value();
      else error = c.status();
    }
    if (client) {
      Result<Json> value = client->metadata().get_alias(alias_);
      if (value.ok()) {
        failing = false;
        if (const std::string now = value->dump(); now != last_ && on_change_(*value)) last_ = now;
        continue;
      }
      error = value.status();
      if (error.code() != Code::kNotFound) client.reset();
    }
    if (!failing && on_error_) on_error_(error.with_context("watching alias " + alias_));
    failing = true;
  }
}

}  // namespace trellis
