// bench/s3_transfer: a 256 MB incompressible artifact written and read through
// ContentStore + S3Storage, against boto3's managed transfer (upload_file /
// download_file, default TransferConfig) on the same server, rounds
// interleaved, medians printed as `name value` lines with the ratio.
// Usage: s3_transfer_bench [--endpoint http://127.0.0.1:4568] [--bucket flow]
//                          [--mb 256] [--rounds 3] [--concurrency 8] [--part-mb 8] [--no-boto3]
// The boto3 side is bench/s3_transfer_boto3.py (TRELLIS_SOURCE_DIR or ./bench).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "trellis/core/buffer.h"
#include "trellis/core/hash.h"
#include "trellis/datastore/content_store.h"
#include "trellis/datastore/s3_storage.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string random_bytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string out = trellis::uninitialized_string(n);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

double cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint = "http://127.0.0.1:4568", bucket = "flow";
  size_t mb = 256, part_mb = 8;
  int rounds = 3, concurrency = 8;
  bool boto3 = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--endpoint")
      endpoint = next();
    else if (a == "--bucket")
      bucket = next();
    else if (a == "--mb")
      mb = std::stoul(next());
    else if (a == "--rounds")
      rounds = std::stoi(next());
    else if (a == "--concurrency")
      concurrency = std::stoi(next());
    else if (a == "--part-mb")
      part_mb = std::stoul(next());
    else if (a == "--no-boto3")
      boto3 = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  const char* src = std::getenv("TRELLIS_SOURCE_DIR");
  const std::string script = std::string(src ? src : ".") + "/bench/s3_transfer_boto3.py";
  const char* ak = std::getenv("AWS_ACCESS_KEY_ID");
  const char* sk = std::getenv("AWS_SECRET_ACCESS_KEY");
  auto storage = trellis::make_s3_storage({.endpoint = endpoint,
                                           .bucket = bucket,
                                           .prefix = "bench-s3-transfer",
                                           .access_key = ak ? ak : "S3RVER",
                                           .secret_key = sk ? sk : "S3RVER",
                                           .part_size = part_mb << 20,
                                           .concurrency = concurrency});
  if (!storage.ok()) {
    std::fprintf(stderr, "%s\n", storage.status().to_string().c_str());
    return 1;
  }
  trellis::ContentStore cas(**storage);
  const std::string data = random_bytes(mb << 20);
  const std::string file = "/tmp/trellis-s3-bench.bin";
  if (boto3) std::ofstream(file, std::ios::binary).write(data.data(), std::streamsize(data.size()));

  std::vector<double> put_s, get_s, raw_get_s, raw_put_s, read_cpu_s, up_s, down_s;
  for (int r = 0; r < rounds; ++r) {
    (void)(*storage)->remove(trellis::ContentStore::object_key(trellis::sha256_hex(data)));
    double t0 = now_s();
    auto info = cas.put(data);
    double t1 = now_s();
    if (!info.ok() || info->stored == 0) {
      std::fprintf(stderr, "put: %s\n",
                   info.ok() ? "not stored" : info.status().to_string().c_str());
      return 1;
    }
    auto back = cas.get(info->digest);
    double t2 = now_s();
    if (!back.ok() || back->size() != data.size()) {
      std::fprintf(stderr, "get: %s\n", back.status().to_string().c_str());
      return 1;
    }
    back = std::string();
    // The storage alone, for the cost of the content store (hash, trailer) on top.
    const double c3 = cpu_s();
    double t3 = now_s();
    auto raw = (*storage)->read(trellis::ContentStore::object_key(info->digest));
    double t4 = now_s();
    const double read_cpu = cpu_s() - c3;
    raw = std::string();
    raw_get_s.push_back(t4 - t3);
    read_cpu_s.push_back(read_cpu);
    double t5 = now_s();
    trellis::Status raw_put = (*storage)->write("raw.bin", {data});
    double t6 = now_s();
    if (!raw_put.ok()) {
      std::fprintf(stderr, "write: %s\n", raw_put.to_string().c_str());
      return 1;
    }
    raw_put_s.push_back(t6 - t5);
    put_s.push_back(t1 - t0);
    get_s.push_back(t2 - t1);
    std::printf(
        "round %d trellis put %.3f s get %.3f s (storage alone: write %.3f s read %.3f s)\n", r + 1,
        t1 - t0, t2 - t1, t6 - t5, t4 - t3);
    if (!boto3) continue;
    const std::string cmd = "/usr/bin/python3 " + script + " " + endpoint + " " + bucket +
                            " bench-s3-transfer/boto3.bin " + file;
    FILE* p = popen(cmd.c_str(), "r");
    char line[256];
    double up = 0, down = 0;
    while (p && std::fgets(line, sizeof line, p)) {
      std::sscanf(line, "upload %lf", &up);
      std::sscanf(line, "download %lf", &down);
    }
    if (!p || pclose(p) != 0 || up == 0 || down == 0) {
      std::fprintf(stderr, "boto3 round failed: %s\n", cmd.c_str());
      return 1;
    }
    up_s.push_back(up);
    down_s.push_back(down);
    std::printf("round %d boto3 upload %.3f s download %.3f s\n", r + 1, up, down);
  }
  std::remove(file.c_str());
  (void)(*storage)->remove("raw.bin");
  const double mbytes = double(mb) * 1.048576;
  std::printf("s3_put_MBps %.0f\n", mbytes / median(put_s));
  std::printf("s3_get_MBps %.0f\n", mbytes / median(get_s));
  std::printf("s3_storage_write_MBps %.0f\n", mbytes / median(raw_put_s));
  std::printf("s3_storage_read_MBps %.0f\n", mbytes / median(raw_get_s));
  std::printf("s3_storage_read_cpu_s %.3f\n", median(read_cpu_s));
  if (boto3) {
    std::printf("boto3_upload_MBps %.0f\n", mbytes / median(up_s));
    std::printf("boto3_download_MBps %.0f\n", mbytes / median(down_s));
    std::printf("put_vs_boto3 %.2fx\n", median(up_s) / median(put_s));
    std::printf("get_vs_boto3 %.2fx\n", median(down_s) / median(get_s));
  }
  return 0;
}
