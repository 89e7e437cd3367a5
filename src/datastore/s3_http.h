// Private to src/datastore: the HTTP side of S3Storage. HttpClient runs many
// SigV4-signed requests at once over pooled connections (libcurl multi) and
// retries the retryable ones; the XML helpers read S3's small responses.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/datastore/s3_storage.h"

namespace trellis {

// The URL of a full object key (prefix included), or of the bucket for "".
std::string s3_url(const S3Options& options, std::string_view full_key);
std::string s3_full_key(const S3Options& options, std::string_view key);

struct HttpRequest {
  std::string method;                  // GET, HEAD, PUT, POST, DELETE
  std::string url;                     // with its query, already encoded and sorted
  std::vector<std::string> headers;    // "Name: value"
  std::vector<std::string_view> body;  // sent as is; must outlive perform()
  // When set, a 2xx body is written to into[0, into_size) (a ranged read into
  // one preallocated buffer); more bytes than that are an error.
  char* into = nullptr;
  size_t into_size = 0;
  // Called with the bytes of a 2xx body received so far (`into` only).
  std::function<void(size_t)> on_progress;
};

struct HttpResponse {
  long status = 0;              // 0: no HTTP response (see `transport_error`)
  std::string body;             // the body unless written `into`
  std::string transport_error;  // curl's words when status is 0
  std::string etag, content_range, last_modified;
  int64_t content_length = -1;  // the Content-Length header, -1 when absent
  uint64_t received = 0;        // body bytes received (into or body)
  int attempts = 0;
  bool ok() const { return status >= 200 && status < 300; }
};

// Thread-safe: each perform() takes a connection pool of its own from a free list.
class HttpClient {
 public:
  explicit HttpClient(const S3Options& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs every request, up to options.concurrency at a time, retrying 5xx,
  // 429, resets, refused connections and timeouts with exponential backoff
  // and full jitter. One response per request, in order.
  std::vector<HttpResponse> perform(std::vector<HttpRequest>& requests);
  HttpResponse perform_one(HttpRequest request);

 private:
  struct Pool;
  std::unique_ptr<Pool> take_pool();
  std::chrono::milliseconds backoff(int retry);  // full jitter: [0, min(cap, base * 2^retry)]
  void give_back(std::unique_ptr<Pool> pool);

  const S3Options options_;
  struct Shared;
  std::unique_ptr<Shared> shared_;  // free pools, behind its own mutex
};

// One element of an XML document: its path from the root ("Error/Code") and text.
struct XmlField {
  std::string path;
  std::string text;
};
// Elements in the order they close (children before their parent).
Result<std::vector<XmlField>> parse_xml(std::string_view xml);
// The text of the first element at `path`, or "".
std::string xml_text(const std::vector<XmlField>& fields, std::string_view path);

}  // namespace trellis
