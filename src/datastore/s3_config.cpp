// S3 options from the AWS environment (variables, ~/.aws/credentials and
// ~/.aws/config) and the addressing of objects. No I/O beyond reading those files.
#include <cstdlib>
#include <fstream>
#include <map>

#include "datastore/s3_http.h"
#include "trellis/datastore/s3_storage.h"

namespace trellis {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// INI sections of an AWS shared file: section name -> key -> value. A nested
// block ("s3 =" followed by indented "key = value" lines) becomes "s3.key".
using Ini = std::map<std::string, std::map<std::string, std::string>>;

Ini read_ini(const std::string& path) {
  Ini ini;
  std::ifstream in(path);
  std::string line, section, nested;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      nested.clear();
      continue;
    }
    const size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(std::string_view(t).substr(0, eq));
    const std::string value = trim(std::string_view(t).substr(eq + 1));
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (!indented) nested = value.empty() ? key : "";
    if (indented && !nested.empty()) {
      ini[section][nested + "." + key] = value;
    } else if (!value.empty()) {
      ini[section][key] = value;
    }
  }
  return ini;
}

std::string home_file(const char* override_var, const char* name) {
  std::string path = env(override_var);
  if (!path.empty()) return path;
  return env("HOME") + "/.aws/" + name;
}

std::string lookup(const Ini& ini, const std::string& section, const std::string& key) {
  auto s = ini.find(section);
  if (s == ini.end()) return "";
  auto k = s->second.find(key);
  return k == s->second.end() ? "" : k->second;
}

bool is_bucket_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         (c >= 'A' && c <= 'Z');
}

bool uses_virtual_host(const S3Options& o) {
  switch (o.addressing) {
    case S3Options::Addressing::kPath:
      return false;
    case S3Options::Addressing::kVirtualHost:
      return true;
    case S3Options::Addressing::kAuto:
      break;
  }
  // A dotted bucket would not match the wildcard certificate *.s3.REGION.amazonaws.com.
  return o.endpoint.empty() && o.bucket.find('.') == std::string::npos;
}

}  // namespace

Result<S3Options> s3_options_from_environment(std::string_view url) {
  const std::string u(url);
  if (url.rfind("s3://", 0) != 0) return invalid_argument("not an s3:// URL: '" + u + "'");
  std::string_view rest = url.substr(5);
  const size_t slash = rest.find('/');
  S3Options o;
  o.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) o.prefix = std::string(rest.substr(slash + 1));
  while (!o.prefix.empty() && o.prefix.back() == '/') o.prefix.pop_back();
  if (o.bucket.empty())
    return invalid_argument("'" + u + "': no bucket (expected s3://bucket/prefix)");
  for (char c : o.bucket) {
    if (!is_bucket_char(c))
      return invalid_argument("'" + u + "': bad bucket name '" + o.bucket + "'");
  }
  if (o.prefix.find("//") != std::string::npos || (!o.prefix.empty() && o.prefix[0] == '/')) {
    return invalid_argument("'" + u + "': empty path segment in prefix '" + o.prefix + "'");
  }

  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  const std::string credentials_path = home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const std::string config_path = home_file("AWS_CONFIG_FILE", "config");
  const Ini credentials = read_ini(credentials_path);
  const Ini config = read_ini(config_path);
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;
  // First non-empty of: the variable, the credentials file, the config file.
  auto setting = [&](const char* var, const std::string& key) {
    std::string v = var ? env(var) : "";
    if (v.empty()) v = lookup(credentials, profile, key);
    if (v.empty()) v = lookup(config, config_section, key);
    return v;
  };
  const std::string env_key = env("AWS_ACCESS_KEY_ID");
  if (!env_key.empty()) {
    o.access_key = env_key;
    o.secret_key = env("AWS_SECRET_ACCESS_KEY");
    o.session_token = env("AWS_SESSION_TOKEN");
  } else {
    o.access_key = setting(nullptr, "aws_access_key_id");
    o.secret_key = setting(nullptr, "aws_secret_access_key");
    o.session_token = setting(nullptr, "aws_session_token");
  }
  if (o.access_key.empty() || o.secret_key.empty()) {
    return invalid_argument("'" + u + "': no AWS credentials: set AWS_ACCESS_KEY_ID and " +
                            "AWS_SECRET_ACCESS_KEY, or give profile '" + profile +
                            "' aws_access_key_id and aws_secret_access_key in " + credentials_path +
                            " or " + config_path);
  }
  o.region = env("AWS_REGION");
  if (o.region.empty()) o.region = setting("AWS_DEFAULT_REGION", "region");
  if (o.region.empty()) o.region = "us-east-1";
  o.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (o.endpoint.empty()) o.endpoint = env("AWS_ENDPOINT_URL");
  if (o.endpoint.empty()) o.endpoint = lookup(config, config_section, "s3.endpoint_url");
  if (o.endpoint.empty()) o.endpoint = lookup(config, config_section, "endpoint_url");
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  return o;
}

std::string s3_url(const S3Options& o, std::string_view key) {
  std::string endpoint =
      o.endpoint.empty() ? "https://s3." + o.region + ".amazonaws.com" : o.endpoint;
  std::string path;
  for (unsigned char c : key) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (keep) {
      path.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      path += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  if (!uses_virtual_host(o)) return endpoint + "/" + o.bucket + (path.empty() ? "" : "/" + path);
  const size_t host = endpoint.find("://");
  const size_t at = host == std::string::npos ? 0 : host + 3;
  return endpoint.substr(0, at) + o.bucket + "." + endpoint.substr(at) + "/" + path;
}

std::string s3_full_key(const S3Options& o, std::string_view key) {
  if (o.prefix.empty()) return std::string(key);
  return o.prefix + "/" + std::string(key);
}

std::string s3_object_url(const S3Options& o, std::string_view key) {
  return s3_url(o, s3_full_key(o, key));
}

}  // namespace trellis
