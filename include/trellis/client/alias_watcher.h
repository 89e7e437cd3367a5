// AliasWatcher: calls back when a registry alias ("plant/production") points
// somewhere new, on any host that shares the metadata store. It polls the
// metadata (one small query per interval, on its own connection), so it works
// the same on SQLite and PostgreSQL; this is how `trellis serve ALIAS` follows
// deploys without a side channel.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "trellis/client/client.h"

namespace trellis {

class AliasWatcher {
 public:
  // `on_change` gets the alias's new value; it runs on the watcher's thread and
  // returns false when it could not act on it now (a reload already running),
  // so the same value is offered again at the next check.
  // `on_error` gets a failed read (a store that went away), once per run of
  // failures, so a log is not flooded; watching goes on.
  AliasWatcher(ClientOptions stores, std::string alias, std::chrono::milliseconds interval,
               std::function<bool(const Json&)> on_change,
               std::function<void(const Status&)> on_error = {});
  ~AliasWatcher();  // stops and joins
  AliasWatcher(const AliasWatcher&) = delete;
  AliasWatcher& operator=(const AliasWatcher&) = delete;

  // Takes `current` as the value already acted on, then starts polling.
  void start(const Json& current);
  void stop();

 private:
  void loop();
  ClientOptions stores_;
  std::string alias_;
  std::chrono::milliseconds interval_;
  std::function<bool(const Json&)> on_change_;
  std::function<void(const Status&)> on_error_;
  std::string last_;  // dump() of the value last acted on
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace trellis
