#include "config/uuid.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

namespace gh::config {
namespace {

constexpr std::string_view kong_entities_namespace = "fd02801f-0957-4a15-a55a-c8d9606f30b5";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
    } else if (hex_value(t[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::string uuid_v5(std::string_view ns, std::string_view name) {
  std::array<unsigned char, 16> ns_bytes{};
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < ns.size() && n < 16; ++i) {
    int hi = hex_value(ns[i]);
    if (hi < 0) continue;  // '-'
    int lo = hex_value(ns[i + 1]);
    ns_bytes[n++] = static_cast<unsigned char>(hi * 16 + lo);
    ++i;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns_bytes.data(), ns_bytes.size());
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

std::string entity_uuid(std::string_view kind, std::string_view key) {
  return uuid_v5(uuid_v5(kong_entities_namespace, kind), key);
}

}  // namespace gh::config
