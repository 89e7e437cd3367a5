// S3Storage: a Storage on an S3-compatible object store (AWS S3, MinIO,
// s3rver), so a team shares one content store. Keys live under
// `<prefix>/` in one bucket (docs/formats/datastore.md, "S3"); requests are
// signed with SigV4, retried with backoff, and batched/parallel for large
// objects (multipart upload, ranged reads). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "trellis/core/status.h"
#include "trellis/datastore/storage.h"

namespace trellis {

struct S3Options {
  // "http://127.0.0.1:4568", or "" for AWS itself (https://s3.REGION.amazonaws.com).
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;  // keys live under "<prefix>/"; "" = the bucket's root
  std::string access_key, secret_key, session_token;
  // kAuto: path-style (endpoint/bucket/key) for a custom endpoint, virtual-hosted
  // (bucket.s3.REGION.amazonaws.com/key) for AWS unless the bucket name has a dot.
  enum class Addressing { kAuto, kPath, kVirtualHost } addressing = Addressing::kAuto;
  int max_retries = 5;  // retries after the first try, for 5xx, 429, resets and timeouts
  std::chrono::milliseconds connect_timeout{3000};
  // A request that moves no byte for this long fails (and may be retried).
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds backoff_base{100};  // full jitter: random in [0, min(cap, base*2^n))
  std::chrono::milliseconds backoff_cap{2000};
  size_t part_size = 8 << 20;  // objects above this are multipart uploads / ranged reads
  int concurrency = 8;         // requests in flight per call
  int list_page_size = 1000;   // max-keys of each ListObjectsV2 page
};

// Options for `url` ("s3://bucket/prefix") from the AWS conventions:
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else profile
// AWS_PROFILE ("default") of AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)
// or AWS_CONFIG_FILE (~/.aws/config, sections "[profile NAME]"); region from
// AWS_REGION, AWS_DEFAULT_REGION or the profile's `region` (else us-east-1);
// endpoint from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile's
// `endpoint_url`. kInvalidArgument naming the URL for a malformed URL or when
// no credentials are found (naming where it looked).
Result<S3Options> s3_options_from_environment(std::string_view url);

// The HTTP(S) URL of `key` (relative to the prefix) under `options`, with its
// addressing style resolved; `key` is percent-encoded except for '/'.
std::string s3_object_url(const S3Options& options, std::string_view key);

// A Storage on the bucket. Contacts nothing yet: a wrong endpoint, bucket or
// key shows in the first call's error, which names endpoint, bucket and key.
// kInvalidArgument for options without bucket or credentials.
Result<std::unique_ptr<Storage>> make_s3_storage(S3Options options);

}  // namespace trellis
