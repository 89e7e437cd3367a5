// S3Storage: Storage calls as S3 REST requests (path- or virtual-hosted-style,
// SigV4 by libcurl). Small objects are one PUT/GET; large ones are multipart
// uploads sent straight from the caller's views and ranged GETs landing in one
// preallocated buffer, both with many requests in flight. Key layout and
// encoding: docs/formats/datastore.md ("S3").
#include "trellis/datastore/s3_storage.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "datastore/s3_http.h"
#include "trellis/core/buffer.h"

namespace trellis {
namespace {

// "2026-12-04T03:45:08.000Z" -> milliseconds since the epoch (0 when unreadable).
int64_t parse_iso8601_ms(const std::string& s) {
  struct tm tm = {};
  int ms = 0;
  if (sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return int64_t(timegm(&tm)) * 1000 + ms;
}

// Query strings are built sorted and encoded here: libcurl 7.88 signs the
// query exactly as given, and SigV4 wants it canonical.
std::string query_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// "bytes 0-8388607/268435464" -> 268435464; -1 when absent or unreadable.
int64_t total_from_content_range(const std::string& range) {
  const size_t slash = range.rfind('/');
  if (slash == std::string::npos || slash + 1 >= range.size() || range[slash + 1] == '*') return -1;
  return std::strtoll(range.c_str() + slash + 1, nullptr, 10);
}

uint64_t total_size(const std::vector<std::string_view>& parts) {
  uint64_t n = 0;
  for (auto p : parts) n += p.size();
  return n;
}

// The views covering bytes [from, from + n) of the concatenation of `parts`.
std::vector<std::string_view> slice(const std::vector<std::string_view>& parts, uint64_t from,
                                    uint64_t n) {
  std::vector<std::string_view> out;
  for (auto p : parts) {
    if (n == 0) break;
    if (from >= p.size()) {
      from -= p.size();
      continue;
    }
    std::string_view piece = p.substr(from, n);
    out.push_back(piece);
    n -= piece.size();
    from = 0;
  }
  return out;
}

class S3Storage final : public Storage {
 public:
  explicit S3Storage(S3Options options)
      : options_(std::move(options)),
        http_(options_),
        endpoint_(options_.endpoint.empty() ? "https://s3." + options_.region + ".amazonaws.com"
                                            : options_.endpoint) {}

  using Storage::read;
  Result<std::string> read(std::string_view key) override { return read(key, {}); }
  Result<std::string> read(std::string_view key,
                           const std::function<void(std::string_view)>& on_chunk) override {
    std::vector<std::string> keys{std::string(key)};
    return std::move(read_all(keys, on_chunk)[0]);
  }
  std::vector<Result<std::string>> read_batch(const std::vector<std::string>& keys) override {
    return read_all(keys, {});
  }

  Status write(std::string_view key, const std::vector<std::string_view>& parts) override {
    return std::move(write_batch({{std::string(key), parts}})[0]);
  }
  std::vector<Status> write_batch(const std::vector<WriteRequest>& writes) override;

  Result<bool> exists(std::string_view key) override {
    return std::move(exists_batch({std::string(key)})[0]);
  }
  std::vector<Result<bool>> exists_batch(const std::vector<std::string>& keys) override;

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    Result<std::vector<ObjectEntry>> entries = list_entries(prefix);
    if (!entries.ok()) return entries.status();
    std::vector<std::string> out;
    for (auto& e : *entries) out.push_back(std::move(e.key));
    return out;
  }
  Result<std::vector<ObjectEntry>> list_entries(std::string_view prefix) override;

  Status remove(std::string_view key) override {
    HttpResponse r = http_.perform_one({.method = "DELETE", .url = object_url(key)});
    if (r.ok()) return {};
    Status st = failure("DELETE", key, r);
    return st.code() == Code::kNotFound ? Status() : st;  // absent is fine, a missing bucket is not
  }

  // A copy of the object onto itself with its metadata replaced: a new
  // Last-Modified at the cost of one request, the bytes never leave the server.
  Status touch(std::string_view key) override {
    std::string source = "/" + options_.bucket + "/";
    for (unsigned char c : s3_full_key(options_, key)) {
      const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
      static constexpr char kHex[] = "0123456789ABCDEF";
      if (keep) source.push_back(static_cast<char>(c));
      else source += {'%', kHex[c >> 4], kHex[c & 15]};
    }
    const int64_t asked_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    HttpResponse r = http_.perform_one({.method = "PUT",
                                        .url = object_url(key),
                                        .headers = {"x-amz-copy-source: " + source,
                                                    "x-amz-metadata-directive: REPLACE"}});
    // CopyObject may answer 200 with an <Error> body.
    Result<std::vector<XmlField>> xml = r.ok() ? parse_xml(r.body) : Result<std::vector<XmlField>>(std::vector<XmlField>{});
    if (r.ok() && xml.ok() && xml_text(*xml, "Error/Code").empty()) {
      // Some servers (s3rver) copy onto itself without a new Last-Modified:
      // then only writing the bytes again moves it. Times have whole seconds.
      const int64_t modified = parse_iso8601_ms(xml_text(*xml, "CopyObjectResult/LastModified"));
      if (modified + 1500 >= asked_ms) return {};
      return Storage::touch(key);
    }
    if (r.ok()) r.status = 500;
    return failure("PUT (copy onto itself)", key, r);
  }

  std::string url() const override {
    return "s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix);
  }
  bool trusts_existing() const override { return true; }

 private:
  std::string object_url(std::string_view key, const std::string& query = "") const {
    return s3_object_url(options_, key) + (query.empty() ? "" : "?" + query);
  }

  // The error for a failed request: names the store, endpoint, bucket and key,
  // with S3's own Code and Message when the body has them.
  Status failure(std::string_view op, std::string_view key, const HttpResponse& r) const;
  Status check_bucket_after_404(std::string_view key);

  std::vector<Result<std::string>> read_all(const std::vector<std::string>& keys,
                                            const std::function<void(std::string_view)>& on_chunk);
  Status read_rest(std::string_view key, const HttpResponse& first, std::string& out,
                   const std::function<void(std::string_view)>& on_chunk);
  Status write_multipart(std::string_view key, const std::vector<std::string_view>& parts);

  const S3Options options_;
  HttpClient http_;
  const std::string endpoint_;
  std::atomic<bool> bucket_checked_{false};
};

Status S3Storage::failure(std::string_view op, std::string_view key, const HttpResponse& r) const {
  std::string where = url() + " (endpoint " + endpoint_ + ", bucket " + options_.bucket +
                      "): " + std::string(op) + " " + std::string(key) + ": ";
  const std::string tries =
      r.attempts > 1 ? " (after " + std::to_string(r.attempts) + " attempts)" : "";
  if (r.status == 0) {
    return unavailable(where + "cannot reach the endpoint: " + r.transport_error + tries);
  }
  std::string code, message;
  if (!r.body.empty()) {
    Result<std::vector<XmlField>> xml = parse_xml(r.body);
    if (xml.ok()) {
      code = xml_text(*xml, "Error/Code");
      message = xml_text(*xml, "Error/Message");
    }
  }
  std::string detail = "HTTP " + std::to_string(r.status);
  if (!code.empty()) detail += " " + code;
  if (!message.empty()) detail += ": " + message;
  if (r.status == 403 && code.empty()) detail += " (access denied: check the key and secret)";
  if (code == "NoSuchBucket") {
    return invalid_argument(where + "bucket '" + options_.bucket + "' does not exist (" + detail +
                            ")");
  }
  if (r.status == 404 && (code.empty() || code == "NoSuchKey")) return not_found(where + detail);
  if (r.status >= 500 || r.status == 429) return unavailable(where + detail + tries);
  return io_error(where + detail + tries);
}

// A HEAD answers 404 without a body for a missing key and a missing bucket
// alike; the first such answer checks the bucket once, so a typo in the bucket
// name is an error rather than "nothing stored yet".
Status S3Storage::check_bucket_after_404(std::string_view key) {
  if (bucket_checked_.load()) return {};
  HttpResponse r = http_.perform_one(
      {.method = "GET", .url = s3_url(options_, "") + "?" + "list-type=2&max-keys=1"});
  if (r.ok()) {
    bucket_checked_ = true;
    return {};
  }
  if (r.status == 404) {
    return invalid_argument(url() + " (endpoint " + endpoint_ + "): HEAD " + std::string(key) +
                            ": bucket '" + options_.bucket + "' does not exist (NoSuchBucket)");
  }
  return failure("HEAD", key, r);
}

std::vector<Result<bool>> S3Storage::exists_batch(const std::vector<std::string>& keys) {
  std::vector<HttpRequest> requests;
  for (const auto& key : keys) requests.push_back({.method = "HEAD", .url = object_url(key)});
  std::vector<HttpResponse> responses = http_.perform(requests);
  std::vector<Result<bool>> out;
  std::optional<Status> bucket;  // checked at most once per batch
  for (size_t i = 0; i < keys.size(); ++i) {
    const HttpResponse& r = responses[i];
    if (r.ok()) {
      out.emplace_back(true);
    } else if (r.status == 404) {
      if (!bucket) bucket = check_bucket_after_404(keys[i]);
      out.push_back(bucket->ok() ? Result<bool>(false) : Result<bool>(*bucket));
    } else {
      out.push_back(failure("HEAD", keys[i], r));
    }
  }
  return out;
}

// First a GET of the first kFirstRange bytes of every key at once: a small
// object arrives whole, a large one tells its size (Content-Range) and the rest
// comes in part_size ranges, in parallel, into one buffer of the full size. The
// first range is small so that it costs no more than a HEAD would.
constexpr uint64_t kFirstRange = 1 << 20;

std::vector<Result<std::string>> S3Storage::read_all(
    const std::vector<std::string>& keys, const std::function<void(std::string_view)>& on_chunk) {
  const std::string first_range =
      "Range: bytes=0-" + std::to_string(std::min<uint64_t>(kFirstRange, options_.part_size) - 1);
  std::vector<HttpRequest> requests;
  for (const auto& key : keys) {
    requests.push_back({.method = "GET", .url = object_url(key), .headers = {first_range}});
  }
  std::vector<HttpResponse> first = http_.perform(requests);
  std::vector<Result<std::string>> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    HttpResponse& r = first[i];
    if (r.status == 416) {  // an empty object has no byte 0
      HttpResponse whole = http_.perform_one({.method = "GET", .url = object_url(keys[i])});
      if (!whole.ok()) {
        out.push_back(failure("GET", keys[i], whole));
      } else {
        out.emplace_back(std::move(whole.body));
      }
      continue;
    }
    if (!r.ok()) {
      out.push_back(failure("GET", keys[i], r));
      continue;
    }
    const int64_t total = total_from_content_range(r.content_range);
    if (r.status == 200 || total <= int64_t(r.body.size())) {
      if (on_chunk) on_chunk(r.body);
      out.emplace_back(std::move(r.body));
      continue;
    }
    std::string whole;
    Status rest = read_rest(keys[i], r, whole, on_chunk);
    if (!rest.ok()) {
      out.push_back(rest);
    } else {
      out.emplace_back(std::move(whole));
    }
  }
  return out;
}

Status S3Storage::read_rest(std::string_view key, const HttpResponse& first, std::string& out,
                            const std::function<void(std::string_view)>& on_chunk) {
  const uint64_t total = uint64_t(total_from_content_range(first.content_range));
  const uint64_t part = options_.part_size;
  out = uninitialized_string(total);
  // Pages faulted in ahead of the arriving ranges (first touch is costly on a VM).
  PageFaulter faulter(out.data(), out.size());
  std::memcpy(out.data(), first.body.data(), first.body.size());
  const uint64_t n_ranges = (total - first.body.size() + part - 1) / part;
  // Bytes received per range; the prefix handed to on_chunk is the run of
  // complete ranges from the start plus whatever of the next one has arrived.
  std::vector<uint64_t> received(n_ranges, 0);
  size_t complete = 0;
  uint64_t reported = first.body.size();
  auto progress = [&](size_t index, size_t bytes) {
    received[index] = bytes;
    if (!on_chunk) return;
    auto range_size = [&](size_t k) {
      return std::min(part, total - first.body.size() - k * part);
    };
    while (complete < n_ranges && received[complete] == range_size(complete)) ++complete;
    uint64_t prefix = first.body.size() + complete * part;
    if (complete < n_ranges) prefix += received[complete];
    prefix = std::min<uint64_t>(prefix, total);
    if (prefix == reported) return;  // bytes arrived further on: the prefix is unchanged
    reported = prefix;
    on_chunk(std::string_view(out.data(), prefix));
  };
  if (on_chunk) on_chunk(std::string_view(out.data(), first.body.size()));
  std::vector<HttpRequest> requests;
  for (uint64_t k = 0; k < n_ranges; ++k) {
    const uint64_t from = first.body.size() + k * part;
    const uint64_t size = std::min(part, total - from);
    HttpRequest rq{.method = "GET", .url = object_url(key)};
    rq.headers.push_back("Range: bytes=" + std::to_string(from) + "-" +
                         std::to_string(from + size - 1));
    // A concurrent overwrite between our ranges would splice two objects.
    if (!first.etag.empty()) rq.headers.push_back("If-Match: " + first.etag);
    rq.into = out.data() + from;
    rq.into_size = size;
    rq.on_progress = [&progress, k](size_t bytes) { progress(k, bytes); };
    requests.push_back(std::move(rq));
  }
  std::vector<HttpResponse> responses = http_.perform(requests);
  for (size_t k = 0; k < responses.size(); ++k) {
    const HttpResponse& r = responses[k];
    if (r.status == 412) {
      return unavailable(url() + ": GET " + std::string(key) +
                         ": the object changed while being read");
    }
    if (!r.ok()) return failure("GET", key, r);
    if (r.received != requests[k].into_size) {
      return unavailable(url() + " (endpoint " + endpoint_ + "): GET " + std::string(key) +
                         ": short range read (" + std::to_string(r.received) + " of " +
                         std::to_string(requests[k].into_size) + " bytes)");
    }
  }
  return {};
}

std::vector<Status> S3Storage::write_batch(const std::vector<WriteRequest>& writes) {
  std::vector<Status> out(writes.size());
  std::vector<HttpRequest> requests;
  std::vector<size_t> small;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (total_size(writes[i].parts) > options_.part_size) continue;
    requests.push_back(
        {.method = "PUT", .url = object_url(writes[i].key), .body = writes[i].parts});
    small.push_back(i);
  }
  std::vector<HttpResponse> responses = http_.perform(requests);
  for (size_t k = 0; k < small.size(); ++k) {
    if (!responses[k].ok()) out[small[k]] = failure("PUT", writes[small[k]].key, responses[k]);
  }
  // Each large object already keeps `concurrency` parts in flight.
  for (size_t i = 0; i < writes.size(); ++i) {
    if (total_size(writes[i].parts) > options_.part_size) {
      out[i] = write_multipart(writes[i].key, writes[i].parts);
    }
  }
  return out;
}

Status S3Storage::write_multipart(std::string_view key,
                                  const std::vector<std::string_view>& parts) {
  HttpResponse created = http_.perform_one({.method = "POST", .url = object_url(key, "uploads=")});
  if (!created.ok()) return failure("POST (CreateMultipartUpload)", key, created);
  Result<std::vector<XmlField>> xml = parse_xml(created.body);
  const std::string upload_id =
      xml.ok() ? xml_text(*xml, "InitiateMultipartUploadResult/UploadId") : "";
  if (upload_id.empty()) {
    return io_error(url() + " (endpoint " + endpoint_ + "): CreateMultipartUpload " +
                    std::string(key) + ": no UploadId in the answer");
  }
  const std::string id_query = "uploadId=" + query_encode(upload_id);
  auto abort_upload = [&](Status why) {
    (void)http_.perform_one({.method = "DELETE", .url = object_url(key, id_query)});
    return why;
  };

  const uint64_t total = total_size(parts);
  const uint64_t n = (total + options_.part_size - 1) / options_.part_size;
  std::vector<HttpRequest> requests;
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t from = k * options_.part_size;
    // Parameters in canonical (sorted) order: partNumber < uploadId.
    requests.push_back(
        {.method = "PUT",
         .url = object_url(key, "partNumber=" + std::to_string(k + 1) + "&" + id_query),
         .body = slice(parts, from, std::min<uint64_t>(options_.part_size, total - from))});
  }
  std::vector<HttpResponse> responses = http_.perform(requests);
  std::string complete = "<CompleteMultipartUpload>";
  for (size_t k = 0; k < responses.size(); ++k) {
    if (!responses[k].ok()) {
      return abort_upload(
          failure("PUT (UploadPart " + std::to_string(k + 1) + ")", key, responses[k]));
    }
    if (responses[k].etag.empty()) {
      return abort_upload(io_error(url() + ": UploadPart " + std::to_string(k + 1) + " of " +
                                   std::string(key) + ": no ETag in the answer"));
    }
    complete += "<Part><PartNumber>" + std::to_string(k + 1) + "</PartNumber><ETag>" +
                responses[k].etag + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  HttpResponse done = http_.perform_one({.method = "POST",
                                         .url = object_url(key, id_query),
                                         .headers = {"Content-Type: application/xml"},
                                         .body = {complete}});
  // CompleteMultipartUpload may fail after its 200 status, with an <Error> body.
  if (done.ok() && done.body.find("<Error>") != std::string::npos) {
    done.status = 500;
  }
  if (!done.ok() && done.attempts > 1 && done.status == 404) {
    // A retried Complete whose first try went through (its answer was lost)
    // finds the upload gone: the object is there if it has the full size.
    HttpResponse head = http_.perform_one({.method = "HEAD", .url = object_url(key)});
    if (head.ok() && head.content_length == int64_t(total)) return {};
  }
  if (!done.ok()) return abort_upload(failure("POST (CompleteMultipartUpload)", key, done));
  return {};
}

Result<std::vector<ObjectEntry>> S3Storage::list_entries(std::string_view prefix) {
  const std::string full_prefix = s3_full_key(options_, prefix);
  const size_t strip = options_.prefix.empty() ? 0 : options_.prefix.size() + 1;
  std::vector<ObjectEntry> out;
  std::string token;
  for (;;) {
    // Sorted: continuation-token < list-type < max-keys < prefix.
    std::string query;
    if (!token.empty()) query = "continuation-token=" + query_encode(token) + "&";
    query += "list-type=2&max-keys=" + std::to_string(options_.list_page_size) +
             "&prefix=" + query_encode(full_prefix);
    HttpResponse r =
        http_.perform_one({.method = "GET", .url = s3_url(options_, "") + "?" + query});
    if (!r.ok()) return failure("LIST", full_prefix, r);
    Result<std::vector<XmlField>> xml = parse_xml(r.body);
    if (!xml.ok()) return xml.status().with_context(url() + ": LIST " + full_prefix);
    ObjectEntry entry;
    for (const XmlField& f : *xml) {
      if (f.path == "ListBucketResult/Contents/Key") entry.key = f.text;
      if (f.path == "ListBucketResult/Contents/Size")
        entry.size = std::strtoull(f.text.c_str(), nullptr, 10);
      if (f.path == "ListBucketResult/Contents/LastModified")
        entry.modified_ms = parse_iso8601_ms(f.text);
      if (f.path == "ListBucketResult/Contents") {
        if (entry.key.size() >= strip) entry.key.erase(0, strip);
        out.push_back(std::move(entry));
        entry = {};
      }
    }
    token = xml_text(*xml, "ListBucketResult/NextContinuationToken");
    if (xml_text(*xml, "ListBucketResult/IsTruncated") != "true" || token.empty()) break;
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectEntry& a, const ObjectEntry& b) { return a.key < b.key; });
  return out;
}

}  // namespace

Result<std::unique_ptr<Storage>> make_s3_storage(S3Options options) {
  if (options.bucket.empty()) return invalid_argument("S3 storage: no bucket given");
  if (options.access_key.empty() || options.secret_key.empty()) {
    return invalid_argument("s3://" + options.bucket + ": no access key or secret key given");
  }
  if (options.part_size < (5u << 20)) {
    return invalid_argument("s3://" + options.bucket + ": part_size " +
                            std::to_string(options.part_size) + " is below S3's 5 MiB minimum");
  }
  while (!options.prefix.empty() && options.prefix.back() == '/') options.prefix.pop_back();
  return std::unique_ptr<Storage>(std::make_unique<S3Storage>(std::move(options)));
}

}  // namespace trellis
