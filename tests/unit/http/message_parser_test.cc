// The strict request/response parser: what is accepted, what is refused and why.
#include "http/message_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

#include <string>

namespace {

using gh::http::parse_refusal;
using gh::http::request_parser;
using gh::http::response_parser;

struct parsed {
  bool header_ok = false;  // head parsed and validate_head() passed
  parse_refusal refusal = parse_refusal::none;
  std::string body;
  bool done = false;
};

// Feeds `text` in one piece (or byte by byte) like the proxy does.
parsed parse_request(const std::string& text, bool byte_by_byte = false) {
  request_parser p;
  p.eager(true);
  parsed out;
  boost::beast::error_code ec;
  std::string pending;
  auto feed = [&](std::string_view more) {
    pending.append(more);
    while (!pending.empty() && !p.is_done()) {
      auto used = p.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        return true;
      }
      if (ec) return false;
      if (used == 0) return true;
    }
    return true;
  };
  bool ok = true;
  if (byte_by_byte) {
    for (char c : text) {
      if (!(ok = feed(std::string_view(&c, 1)))) break;
    }
  } else {
    ok = feed(text);
  }
  out.header_ok = ok && p.is_header_done() && p.validate_head();
  out.refusal = p.refusal();
  out.body = p.body;
  out.done = p.is_done();
  return out;
}

TEST(MessageParser, PlainGetIsAcceptedWithHeadersInOrder) {
  request_parser p;
  boost::beast::error_code ec;
  std::string req = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-One: 1\r\nx-one: 2\r\n\r\n";
  p.put(boost::asio::buffer(req), ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(p.validate_head());
  EXPECT_EQ(p.method, "GET");
  EXPECT_EQ(p.target, "/a?b=1");
  EXPECT_EQ(p.headers.get_all("x-one").size(), 2u);
  EXPECT_EQ(p.headers.begin()->name, "Host");
}

TEST(MessageParser, ContentLengthBodyIsDecoded) {
  auto r = parse_request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(r.header_ok);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.done);
}

TEST(MessageParser, ChunkedBodyIsDecodedEvenByteByByte) {
  auto r = parse_request(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      true);
  EXPECT_TRUE(r.header_ok);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_TRUE(r.done);
}

TEST(MessageParser, ContentLengthWithTransferEncodingIsRefused) {
  EXPECT_FALSE(parse_request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").header_ok);
  EXPECT_FALSE(parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n").header_ok);
}

TEST(MessageParser, DuplicateContentLengthIsRefusedEvenWhenEqual) {
  auto r = parse_request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_FALSE(r.header_ok);
  EXPECT_EQ(r.refusal, parse_refusal::bad_request);
}

TEST(MessageParser, ContentLengthListOrSignOrHexIsRefused) {
  for (const char* v : {"3, 3", "+3", "-1", "0x10", "1 2", ""}) {
    auto r = parse_request(std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ") + v + "\r\n\r\n");
    EXPECT_FALSE(r.header_ok) << v;
  }
}

TEST(MessageParser, TransferEncodingOtherThanLoneChunkedIsRefused) {
  for (const char* v : {"gzip", "gzip, chunked", "chunked, identity", "identity", "xchunked"}) {
    auto r = parse_request(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + v + "\r\n\r\n");
    EXPECT_FALSE(r.header_ok) << v;
  }
  EXPECT_FALSE(parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").header_ok);
}

TEST(MessageParser, ChunkedHttp10RequestIsRefused) {
  EXPECT_FALSE(parse_request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").header_ok);
}

TEST(MessageParser, Http11RequestNeedsExactlyOneHost) {
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\n\r\n").header_ok);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").header_ok);
  EXPECT_TRUE(parse_request("GET / HTTP/1.0\r\n\r\n").header_ok);
}

TEST(MessageParser, BadChunkSizesAreParseErrors) {
  for (const char* chunk : {"zz\r\nhello\r\n0\r\n\r\n", "ffffffffffffffffffff\r\n", "-5\r\nhello\r\n",
                            "5\r\nhelloXX0\r\n\r\n", "5\nhello\n0\n\n"}) {
    auto r = parse_request(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") + chunk);
    EXPECT_FALSE(r.done) << chunk;
  }
}

TEST(MessageParser, TooManyFieldsAreRefusedWithTheirOwnReason) {
  request_parser p(3);
  boost::beast::error_code ec;
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  p.put(boost::asio::buffer(req), ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(p.refusal(), parse_refusal::too_many_fields);
}

TEST(MessageParser, ObsFoldIsDetectedOnRawBytes) {
  EXPECT_TRUE(gh::http::has_obs_fold("GET / HTTP/1.1\r\nX: a\r\n b\r\n"));
  EXPECT_TRUE(gh::http::has_obs_fold("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n"));
  EXPECT_FALSE(gh::http::has_obs_fold("GET / HTTP/1.1\r\nX: a b\r\nY: c\r\n"));
}

TEST(MessageParser, ConnectionTokensAreRecognised) {
  request_parser p;
  boost::beast::error_code ec;
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n";
  p.put(boost::asio::buffer(req), ec);
  ASSERT_TRUE(p.validate_head());
  EXPECT_TRUE(p.upgrade_requested);
  EXPECT_TRUE(p.connection_keep_alive);
  EXPECT_FALSE(p.connection_close);
}

TEST(MessageParser, ResponseWithChunkedAndOtherCodingsIsAccepted) {
  response_parser p;
  boost::beast::error_code ec;
  std::string res = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  p.eager(true);
  p.put(boost::asio::buffer(res), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(p.validate_head());
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "abc");
}

}  // namespace
