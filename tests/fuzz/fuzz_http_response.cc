// Fuzz target: bytes from an upstream, read as the upstream exchange reads them (1xx
// skipped, HEAD responses, bodies framed by length, chunks or the end of the connection,
// keep-alive reuse), checked so that a response can't be read two ways: the rest of the
// connection goes back to the pool and would otherwise answer another client.
#include "http_properties.h"

#include <fuzzer/FuzzedDataProvider.h>

using namespace gh;
using namespace gh::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  stream_limits lim;
  lim.head_only = in.ConsumeBool();
  std::size_t first = in.ConsumeIntegralInRange<std::size_t>(0, 255);
  std::size_t segment = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  std::string wire = in.ConsumeRemainingBytesAsString();

  auto whole = read_responses(segmented_socket(wire, wire.size(), wire.size()), lim);
  auto pieces = read_responses(segmented_socket(wire, first, segment), lim);
  check_same_reading(whole, pieces);

  for (const auto& r : whole) {
    check_message(r);
    if (!r.head_accepted) continue;
    if (!lim.head_only && !http::status_has_no_body(r.status)) check_body_length(r);
    FUZZ_REQUIRE(r.status >= 100 && r.status <= 999, "a status has three digits");
    // The head relayed to the client (upstream_exchange relay_response) reads back the same.
    Headers relayed = r.headers;
    http::strip_hop_by_hop(relayed);
    check_fields_round_trip<false>(relayed);
    std::string line;
    http::append_status_line(line, r.status);
    FUZZ_REQUIRE(line.size() > 13 && line.ends_with("\r\n"), "a status line is written");
  }
  return 0;
}
