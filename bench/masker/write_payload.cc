// Writes the aws-masker payloads of bench/run.sh to stdout:
//   masker_payload         the issue's reference request: an Anthropic Messages request
//                          holding `aws ec2 describe-instances` output for 40 instances
//   masker_payload image   a Messages request of the same size whose only content is a
//                          base64 image block: the plugin buffers and walks it but has
//                          nothing to scan (its data is skipped), so the masked route's
//                          cost over the plain one on it is the plugin's own overhead
#include <openssl/evp.h>

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "plugins/aws-masker/testdata/aws_samples.h"

namespace {

// A Messages request with one image block, `size` bytes long or a few more.
std::string image_request(std::size_t size) {
  const std::string head =
      R"({"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[)"
      R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":")";
  const std::string tail = R"("}}]}]})";
  const std::size_t encoded =
      size > head.size() + tail.size() ? size - head.size() - tail.size() : 4;
  std::string raw(encoded / 4 * 3 + 3, '\0');
  uint32_t x = 2463534242u;  // xorshift32: the same bytes on every run
  for (char& c : raw) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  std::string data(raw.size() / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(data.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  data.resize(static_cast<std::size_t>(n));
  return head + data + tail;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gh::aws_masker::testdata;
  const std::string reference = messages_request(describe_instances(40).text);
  if (argc > 1 && std::string_view(argv[1]) == "image") {
    std::cout << image_request(reference.size());
  } else {
    std::cout << reference;
  }
  return 0;
}
