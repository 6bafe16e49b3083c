// Head serialisation and hop-by-hop rules of the proxy.
#include "http/wire.h"

#include <gtest/gtest.h>

namespace {

TEST(Wire, HopByHopFieldsAndThoseNamedInConnectionAreStripped) {
  gh::Headers h;
  h.add("Connection", "keep-alive, X-Secret");
  h.add("Keep-Alive", "timeout=5");
  h.add("X-Secret", "s");
  h.add("Transfer-Encoding", "chunked");
  h.add("TE", "trailers");
  h.add("Upgrade", "h2c");
  h.add("Proxy-Connection", "keep-alive");
  h.add("Trailer", "X");
  h.add("Accept", "*/*");
  gh::http::strip_hop_by_hop(h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->name, "Accept");
}

TEST(Wire, StatusLineAndFieldsAreCrlfTerminated) {
  std::string out;
  gh::http::append_status_line(out, 404);
  gh::http::append_field(out, "A", "b");
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nA: b\r\n");
}

TEST(Wire, StoredFieldsSerialiseExactlyWhetherShortOrLong) {
  gh::Headers h;
  h.add("X-RateLimit-Remaining-Minute", "9");
  h.add(std::string(40, 'n'), std::string(100, 'v'));  // both past the inline room
  h.add("E", "");
  std::string out = "HTTP/1.1 200 OK\r\n";
  gh::http::append_fields(out, h);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-RateLimit-Remaining-Minute: 9\r\n" + std::string(40, 'n') +
                     ": " + std::string(100, 'v') + "\r\nE: \r\n");
}

TEST(Wire, ChunkSizeIsLowercaseHex) {
  std::string out;
  gh::http::append_chunk_size(out, 255);
  EXPECT_EQ(out, "ff\r\n");
}

TEST(Wire, KongMessagesForGatewayStatuses) {
  EXPECT_EQ(gh::http::kong_default_message(502), "An invalid response was received from the upstream server");
  EXPECT_EQ(gh::http::kong_default_message(504), "The upstream server is timing out");
  EXPECT_EQ(gh::http::kong_default_message(500), "An unexpected error occurred");
}

TEST(Wire, StatusesWithoutBody) {
  EXPECT_TRUE(gh::http::status_has_no_body(204));
  EXPECT_TRUE(gh::http::status_has_no_body(304));
  EXPECT_TRUE(gh::http::status_has_no_body(101));
  EXPECT_FALSE(gh::http::status_has_no_body(200));
}

}  // namespace
