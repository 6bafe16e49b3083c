// Fuzz target: bytes from a client, read as the proxy session reads them (keep-alive,
// pipelining, chunked and Content-Length bodies, every limit), checked against the
// request-smuggling rules of src/http/message_parser.h.
#include "http_properties.h"

#include <fuzzer/FuzzedDataProvider.h>

using namespace gh;
using namespace gh::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // The settings come from the input's tail, so the head of a seed is plain HTTP.
  stream_limits lim;
  static constexpr std::size_t header_sizes[] = {8192, 1024, 65536};
  static constexpr uint64_t body_sizes[] = {0, 16, 4096};
  lim.max_header_size = header_sizes[in.ConsumeIntegralInRange<int>(0, 2)];
  lim.max_body_size = body_sizes[in.ConsumeIntegralInRange<int>(0, 2)];
  lim.max_fields = in.ConsumeBool() ? 100 : 4;
  std::size_t first = in.ConsumeIntegralInRange<std::size_t>(0, 255);
  std::size_t segment = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  std::string wire = in.ConsumeRemainingBytesAsString();

  auto whole = read_requests(segmented_socket(wire, wire.size(), wire.size()), lim);
  auto pieces = read_requests(segmented_socket(wire, first, segment), lim);
  check_same_reading(whole, pieces);

  for (const auto& r : whole) {
    check_message(r);
    if (!r.head_accepted) continue;
    check_body_length(r);
    FUZZ_REQUIRE(!http::has_obs_fold(r.raw_head), "no obs-fold in an accepted head");
    // Accepted requests obey the rules the upstream relies on.
    FUZZ_REQUIRE(!has_line_break(r.method) && !has_line_break(r.target),
                 "the request line holds no line break");
    FUZZ_REQUIRE(r.target.find(' ') == std::string::npos, "the target holds no space");
    if (r.has_transfer_encoding) {
      FUZZ_REQUIRE(r.chunked && r.version >= 11, "Transfer-Encoding means HTTP/1.1 chunked");
      FUZZ_REQUIRE(r.headers.count("transfer-encoding") == 1 &&
                       iequals(*r.headers.get("transfer-encoding"), "chunked"),
                   "Transfer-Encoding is one lone chunked");
    }
    auto hosts = r.headers.count("host");
    FUZZ_REQUIRE(r.version >= 11 ? hosts == 1 : hosts <= 1, "one Host");
    FUZZ_REQUIRE(r.headers.size() <= lim.max_fields, "the field count is bounded");
    check_fields_round_trip<true>(r.headers);
    // The upstream gets the request without hop-by-hop fields; stripping never breaks it.
    Headers forwarded = r.headers;
    http::strip_hop_by_hop(forwarded);
    for (const auto& f : forwarded) FUZZ_REQUIRE(!http::is_hop_by_hop(f.name), "hop-by-hop removed");
  }
  return 0;
}
