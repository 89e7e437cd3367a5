#include "metadata/store_common.h"

#include <algorithm>

namespace trellis {

const std::string kSelectRun =
    "SELECT flow, run_id, status, created_ms, finished_ms, params, code, origin_run_id, "
    "host, orchestrator_pid FROM runs";
const std::string kSelectTask =
    "SELECT t.flow, t.run_id, t.task_id, t.step, t.status, t.foreach_stack, t.inputs, "
    "t.foreach_count, t.created_ms, t.started_ms, t.finished_ms, t.cloned_from, t.resumed_from, "
    "(SELECT COUNT(*) FROM attempts a WHERE a.flow = t.flow AND a.run_id = t.run_id AND "
    "a.task_id = t.task_id) FROM tasks t";

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(TaskStatus s) {
  switch (s) {
    case TaskStatus::kPending:
      return "pending";
    case TaskStatus::kRunning:
      return "running";
    case TaskStatus::kDone:
      return "done";
    case TaskStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

RunStatus run_status_from(std::string_view s) {
  if (s == "succeeded") return RunStatus::kSucceeded;
  if (s == "failed") return RunStatus::kFailed;
  return RunStatus::kRunning;
}

TaskStatus task_status_from(std::string_view s) {
  if (s == "done") return TaskStatus::kDone;
  if (s == "failed") return TaskStatus::kFailed;
  if (s == "running") return TaskStatus::kRunning;
  return TaskStatus::kPending;
}

std::string task_name(std::string_view flow, int64_t run_id, int64_t task_id) {
  return run_name(flow, run_id) + "/task " + std::to_string(task_id);
}

std::string run_name(std::string_view flow, int64_t run_id) {
  return std::string(flow) + "/" + std::to_string(run_id);
}

std::string json_column(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json json_from_column(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

std::string url_without_password(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const size_t start = scheme_end + 3;
  const size_t authority_end = std::min(url.find_first_of("/?", start), url.size());
  std::string_view authority = url.substr(start, authority_end - start);
  std::string out(url.substr(0, start));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    out += userinfo.substr(0, userinfo.find(':'));
    out += authority.substr(at);
  } else {
    out += authority;
  }
  std::string_view rest = url.substr(authority_end);
  const size_t q = rest.find('?');
  out += rest.substr(0, q);
  if (q == std::string_view::npos) return out;
  std::string query;
  std::string_view params = rest.substr(q + 1);
  while (!params.empty()) {
    const size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (param.substr(0, 9) == "password=") continue;
    query += (query.empty() ? "?" : "&") + std::string(param);
  }
  return out + query;
}

}  // namespace trellis
