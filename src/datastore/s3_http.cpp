// libcurl does the HTTP and the SigV4 signing (CURLOPT_AWS_SIGV4); what is ours
// is the scheduling: a curl multi handle per call keeps up to `concurrency`
// requests in flight, failed ones wait out a jittered backoff inside the same
// loop, and multi handles (each with its connection cache) are pooled so
// connections are reused across calls.
#include "datastore/s3_http.h"

#include <curl/curl.h>
#include <expat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>

#include "trellis/core/hash.h"

namespace trellis {
namespace {

using Clock = std::chrono::steady_clock;

// Bodies at most this big are hashed into x-amz-content-sha256; larger ones are
// sent as UNSIGNED-PAYLOAD (TLS protects them in transit, and ContentStore
// re-hashes what it reads), so a 256 MB upload is not hashed twice.
constexpr size_t kHashedBodyMax = 1 << 20;

bool is_retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool is_retryable_transport(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void ensure_curl_initialized() {
  static GlobalInit once;  // thread-safe static init; curl_global_init is not
}

}  // namespace

// One request's state while it runs (and between its attempts).
struct Transfer {
  HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  curl_slist* headers = nullptr;
  size_t body_index = 0, body_offset = 0;  // read position in request->body
  uint64_t body_size = 0;
  long status_seen = 0;      // of the response being received
  bool empty_range = false;  // "Content-Range: bytes 0-0/0": the object is empty, stop here
  char error[CURL_ERROR_SIZE] = {};
  Clock::time_point start_at{};
};

namespace {

size_t on_read(char* out, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t room = size * count;
  size_t n = 0;
  const auto& body = t->request->body;
  while (n < room && t->body_index < body.size()) {
    std::string_view piece = body[t->body_index].substr(t->body_offset);
    const size_t take = std::min(piece.size(), room - n);
    std::memcpy(out + n, piece.data(), take);
    n += take;
    t->body_offset += take;
    if (t->body_offset == body[t->body_index].size()) {
      ++t->body_index;
      t->body_offset = 0;
    }
  }
  return n;
}

bool starts_with_ci(std::string_view s, std::string_view head) {
  if (s.size() < head.size()) return false;
  for (size_t i = 0; i < head.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != head[i]) return false;
  }
  return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (status line): forget the last one's
    const size_t sp = line.find(' ');
    t->status_seen =
        sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    t->response->etag.clear();
    t->response->content_range.clear();
    t->response->last_modified.clear();
    t->response->content_length = -1;
    return size * count;
  }
  auto value = [&](size_t name_len) {
    std::string_view v = line.substr(name_len);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return std::string(v);
  };
  if (starts_with_ci(line, "etag:")) t->response->etag = value(5);
  if (starts_with_ci(line, "content-range:")) {
    t->response->content_range = value(14);
    // s3rver answers a range of an empty object with "bytes 0-0/0" and a
    // Content-Length of 1 it never sends; the object is empty, nothing to wait for.
    if (t->response->content_range.size() > 2 &&
        t->response->content_range.compare(t->response->content_range.size() - 2, 2, "/0") == 0) {
      t->empty_range = true;
      return 0;  // ends the transfer (CURLE_WRITE_ERROR), taken as a complete empty answer
    }
  }
  if (starts_with_ci(line, "last-modified:")) t->response->last_modified = value(14);
  if (starts_with_ci(line, "content-length:")) {
    const unsigned long long n = std::strtoull(value(15).c_str(), nullptr, 10);
    t->response->content_length = int64_t(n);
    const bool is_body = t->request->method != "HEAD" && !t->request->into && t->status_seen < 300;
    if (is_body && n < (1ull << 34)) t->response->body.reserve(n);
  }
  return size * count;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  HttpRequest& rq = *t->request;
  HttpResponse& rs = *t->response;
  const bool success = t->status_seen >= 200 && t->status_seen < 300;
  if (rq.into && success) {
    if (rs.received + n > rq.into_size) return 0;  // longer than asked for: abort
    std::memcpy(rq.into + rs.received, data, n);
    rs.received += n;
    if (rq.on_progress) rq.on_progress(rs.received);
    return n;
  }
  rs.body.append(data, n);
  rs.received += n;
  return n;
}

}  // namespace

struct HttpClient::Pool {
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  // easy handles, reused (they keep their settings' allocations)
  ~Pool() {
    for (CURL* e : idle) curl_easy_cleanup(e);
    if (multi) curl_multi_cleanup(multi);
  }
};

struct HttpClient::Shared {
  std::mutex mu;
  std::vector<std::unique_ptr<Pool>> free;      // guarded by mu
  std::mt19937_64 rng{std::random_device{}()};  // guarded by mu
};

HttpClient::HttpClient(const S3Options& options)
    : options_(options), shared_(std::make_unique<Shared>()) {
  ensure_curl_initialized();
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Pool> HttpClient::take_pool() {
  {
    std::lock_guard lock(shared_->mu);
    if (!shared_->free.empty()) {
      auto pool = std::move(shared_->free.back());
      shared_->free.pop_back();
      return pool;
    }
  }
  auto pool = std::make_unique<Pool>();
  pool->multi = curl_multi_init();
  curl_multi_setopt(pool->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    long(std::max(1, options_.concurrency)));
  curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS, long(std::max(1, options_.concurrency)));
  return pool;
}

void HttpClient::give_back(std::unique_ptr<Pool> pool) {
  std::lock_guard lock(shared_->mu);
  shared_->free.push_back(std::move(pool));
}

HttpResponse HttpClient::perform_one(HttpRequest request) {
  std::vector<HttpRequest> one{std::move(request)};
  return std::move(perform(one)[0]);
}

namespace {

// The headers every request carries besides its own; built once per request.
curl_slist* request_headers(const HttpRequest& rq, uint64_t body_size, const S3Options& o) {
  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (body_size <= kHashedBodyMax) {
    Sha256 sha;
    for (auto p : rq.body) sha.update(p);
    payload_hash = sha.finish_hex();
  }
  curl_slist* headers =
      curl_slist_append(nullptr, ("x-amz-content-sha256: " + payload_hash).c_str());
  if (!o.session_token.empty()) {
    headers = curl_slist_append(headers, ("x-amz-security-token: " + o.session_token).c_str());
  }
  // No "Expect:" to suppress 100-continue: libcurl 7.88 signs the empty header
  // it then leaves out, and the server rejects the signature. The 100-continue
  // round trip also lets a 403 stop a large part unsent.
  for (const auto& h : rq.headers) headers = curl_slist_append(headers, h.c_str());
  return headers;
}

void configure(CURL* e, Transfer& t, const S3Options& o, const std::string& sigv4) {
  const HttpRequest& rq = *t.request;
  curl_easy_setopt(e, CURLOPT_URL, rq.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(e, CURLOPT_USERNAME, o.access_key.c_str());
  curl_easy_setopt(e, CURLOPT_PASSWORD, o.secret_key.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(o.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                   std::max<long>(1, long(o.request_timeout.count() / 1000)));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
  curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 128L * 1024);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  if (rq.method == "PUT" || rq.method == "POST") {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, curl_off_t(t.body_size));
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, &t);
    if (rq.method == "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (rq.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (rq.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
  }
}

// Clears what an earlier attempt of `t` left behind.
void reset_attempt(Transfer& t) {
  HttpResponse& rs = *t.response;
  rs.body.clear();
  rs.received = 0;
  rs.status = 0;
  rs.transport_error.clear();
  ++rs.attempts;
  t.body_index = t.body_offset = 0;
  t.status_seen = 0;
  t.empty_range = false;
  t.error[0] = '\0';
}

}  // namespace

std::chrono::milliseconds HttpClient::backoff(int retry) {
  const int64_t ceiling = std::min<int64_t>(options_.backoff_cap.count(),
                                            options_.backoff_base.count() << std::min(retry, 20));
  std::lock_guard lock(shared_->mu);
  return std::chrono::milliseconds(
      std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(0, ceiling))(shared_->rng));
}

std::vector<HttpResponse> HttpClient::perform(std::vector<HttpRequest>& requests) {
  std::vector<HttpResponse> responses(requests.size());
  std::vector<Transfer> transfers(requests.size());
  std::deque<size_t> ready;
  std::vector<size_t> waiting;  // retries waiting out their backoff
  for (size_t i = 0; i < requests.size(); ++i) {
    transfers[i].request = &requests[i];
    transfers[i].response = &responses[i];
    for (auto p : requests[i].body) transfers[i].body_size += p.size();
    ready.push_back(i);
  }
  std::unique_ptr<Pool> pool = take_pool();
  const std::string sigv4 = "aws:amz:" + options_.region + ":s3";
  const size_t limit = size_t(std::max(1, options_.concurrency));
  size_t running = 0;

  auto start = [&](Transfer& t) {
    reset_attempt(t);
    if (!t.headers) t.headers = request_headers(*t.request, t.body_size, options_);
    CURL* e = pool->idle.empty() ? curl_easy_init() : pool->idle.back();
    if (!pool->idle.empty()) {
      pool->idle.pop_back();
      curl_easy_reset(e);
    }
    configure(e, t, options_, sigv4);
    curl_multi_add_handle(pool->multi, e);
    ++running;
  };
  // A finished attempt: done, or back in line after a backoff.
  auto finish = [&](CURLMsg* msg) {
    CURL* e = msg->easy_handle;
    const CURLcode code = msg->data.result;
    Transfer* t = nullptr;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(pool->multi, e);
    pool->idle.push_back(e);
    --running;
    HttpResponse& rs = *t->response;
    if (t->empty_range) {
      rs.status = t->status_seen;
      return;
    }
    rs.status = code == CURLE_OK ? status : 0;
    if (code != CURLE_OK) rs.transport_error = t->error[0] ? t->error : curl_easy_strerror(code);
    const bool retry =
        code == CURLE_OK ? is_retryable_status(status) : is_retryable_transport(code);
    if (retry && rs.attempts <= options_.max_retries) {
      t->start_at = Clock::now() + backoff(rs.attempts - 1);
      waiting.push_back(size_t(t - transfers.data()));
    }
  };

  while (!ready.empty() || !waiting.empty() || running > 0) {
    const auto now = Clock::now();
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (transfers[*it].start_at > now) {
        ++it;
        continue;
      }
      ready.push_back(*it);
      it = waiting.erase(it);
    }
    while (running < limit && !ready.empty()) {
      start(transfers[ready.front()]);
      ready.pop_front();
    }
    int still = 0;
    curl_multi_perform(pool->multi, &still);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(pool->multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) finish(msg);
    }
    // Sleep until a socket is ready or the next retry is due.
    int64_t wait_ms = 1000;
    if (!waiting.empty()) {
      auto next = std::min_element(waiting.begin(), waiting.end(), [&](size_t a, size_t b) {
        return transfers[a].start_at < transfers[b].start_at;
      });
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
          transfers[*next].start_at - Clock::now());
      wait_ms = std::clamp<int64_t>(until.count(), 0, wait_ms);
    }
    if (running > 0 || !waiting.empty())
      curl_multi_poll(pool->multi, nullptr, 0, int(wait_ms), nullptr);
  }
  for (auto& t : transfers) curl_slist_free_all(t.headers);
  give_back(std::move(pool));
  return responses;
}

// --- XML ---

namespace {

struct XmlState {
  std::vector<std::string> stack;
  std::vector<std::string> text;
  std::vector<XmlField> out;
};

void XMLCALL on_start(void* user, const XML_Char* name, const XML_Char**) {
  auto* s = static_cast<XmlState*>(user);
  s->stack.emplace_back(name);
  s->text.emplace_back();
}

void XMLCALL on_end(void* user, const XML_Char*) {
  auto* s = static_cast<XmlState*>(user);
  std::string path;
  for (const auto& n : s->stack) path += (path.empty() ? "" : "/") + n;
  s->out.push_back({std::move(path), std::move(s->text.back())});
  s->stack.pop_back();
  s->text.pop_back();
}

void XMLCALL on_text(void* user, const XML_Char* data, int len) {
  auto* s = static_cast<XmlState*>(user);
  if (!s->text.empty()) s->text.back().append(data, size_t(len));
}

}  // namespace

Result<std::vector<XmlField>> parse_xml(std::string_view xml) {
  XmlState state;
  XML_Parser parser = XML_ParserCreate(nullptr);
  XML_SetUserData(parser, &state);
  XML_SetElementHandler(parser, on_start, on_end);
  XML_SetCharacterDataHandler(parser, on_text);
  const bool ok = XML_Parse(parser, xml.data(), int(xml.size()), 1) == XML_STATUS_OK;
  std::string error = ok ? "" : XML_ErrorString(XML_GetErrorCode(parser));
  XML_ParserFree(parser);
  if (!ok) return corrupt("bad XML in S3 response: " + error);
  return std::move(state.out);
}

std::string xml_text(const std::vector<XmlField>& fields, std::string_view path) {
  for (const auto& f : fields) {
    if (f.path == path) return f.text;
  }
  return "";
}

}  // namespace trellis
