// The strict request/response parser: what is accepted, what is refused and why.
#include "http/message_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// Calls put() until the bytes are used up, the message is done or the parser stops, as
// the proxy's read loops do (a put() that completes the head stops there).
template <class Parser>
std::size_t put_all(Parser& p, std::string_view bytes, boost::beast::error_code& ec) {
  std::size_t used = 0;
  do {
    used += p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
  } while (!ec && used < bytes.size() && !p.is_done());
  return used;
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
  EXPECT_EQ(put_all(p, res, ec), res.size());
  EXPECT_FALSE(ec);
  EXPECT_TRUE(p.validate_head());
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "abc");
}

// Found by tests/fuzz (fuzz_http_response): Beast frames "Transfer-Encoding: gzip" followed
// by Content-Length by the length; the bytes past it would stay in the pooled upstream
// connection and be read as the answer to the next client's request.
TEST(MessageParser, ResponseWithTransferEncodingThenContentLengthIsRefused) {
  for (std::string res : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabcdef",
                          "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabcdef"}) {
    response_parser p;
    boost::beast::error_code ec;
    p.put(boost::asio::buffer(res), ec);
    EXPECT_TRUE(ec && ec != boost::beast::http::error::need_more) << res;
  }
}

TEST(MessageParser, RequestWithTransferEncodingThenContentLengthIsRefusedAtTheField) {
  request_parser p;
  boost::beast::error_code ec;
  std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc";
  p.put(boost::asio::buffer(req), ec);
  EXPECT_TRUE(ec && ec != boost::beast::http::error::need_more);
  EXPECT_EQ(p.refusal(), parse_refusal::bad_request);
}

// Found by tests/fuzz (fuzz_http_request): Beast joins folded lines and consumes the
// complete field lines of a head still arriving, so a check on the whole head once it
// has arrived missed a fold sent in an earlier TCP segment.
TEST(MessageParser, ObsFoldIsRefusedWhenTheHeadArrivesInPieces) {
  request_parser p;
  std::string buf = "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\nX-B";
  boost::beast::error_code ec;
  auto used = p.put(boost::asio::buffer(buf), ec);
  buf.erase(0, used);
  if (ec == boost::beast::http::error::need_more) {  // the next segment completes the head
    buf += ": 2\r\n\r\n";
    ec = {};
    p.put(boost::asio::buffer(buf), ec);
  }
  EXPECT_TRUE(ec && ec != boost::beast::http::error::need_more);
  EXPECT_EQ(p.refusal(), parse_refusal::bad_request);
}

TEST(MessageParser, ResponseObsFoldIsJoinedNotRefused) {
  response_parser p;  // RFC 9112 5.2: a proxy may replace a response's fold with spaces
  std::string res = "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n";
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(res), ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(p.headers.get("x-a").value_or(""), "1 2");
}

// Found by tests/fuzz (fuzz_http_request), and it aborted the real binary: an empty
// chunked body whose "0\r\n" and final CRLF arrive in separate segments tripped an
// assertion in Boost 1.81's chunk parser (boostorg/beast#2861).
TEST(MessageParser, FinalChunkSplitAcrossSegmentsCompletesTheBody) {
  request_parser p;
  std::string buf;
  boost::beast::error_code ec;
  for (std::string segment : {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                              "0\r\n", "\r", "\n"}) {
    buf += segment;
    while (!buf.empty() && !p.is_done()) {  // as body_pump::feed
      ec = {};
      auto used = p.put(boost::asio::buffer(buf), ec);
      buf.erase(0, used);
      if (ec == boost::beast::http::error::need_more || used == 0) break;
      ASSERT_FALSE(ec) << ec.message();
    }
  }
  EXPECT_TRUE(p.is_done());
  EXPECT_TRUE(p.body.empty());
}

// Found by tests/fuzz (fuzz_http_response): Beast reads "020" as status 20, which the
// proxy would relay as the status line "HTTP/1.1 20".
TEST(MessageParser, ResponseStatusBelow100IsRefused) {
  response_parser p;
  std::string res = "HTTP/1.1 020 OK\r\nContent-Length: 0\r\n\r\n";
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(res), ec);
  EXPECT_EQ(ec, boost::beast::http::error::bad_status);
}

// Found by tests/fuzz (fuzz_http_request): once Beast had consumed the last field line,
// the rest of the head is the bare CRLF, and a body holding CRLF + space was taken for a
// folded head line (a valid request refused only when split that way).
TEST(MessageParser, BodyBytesAfterASplitHeadAreNotTakenForAFold) {
  request_parser p;
  std::string buf = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r";
  boost::beast::error_code ec;
  buf.erase(0, p.put(boost::asio::buffer(buf), ec));
  ASSERT_EQ(ec, boost::beast::http::error::need_more);
  buf += "\nab\r\n cdef";
  ec = {};
  put_all(p, buf, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(p.is_done());
  EXPECT_EQ(p.body, "ab\r\n cdef");
}

// Found by tests/fuzz (fuzz_http_request): Boost 1.81 applies header_limit to each put()
// from where the last one stopped, so a head sent line by line grew past
// client_max_header_size (up to the field-count limit times the line length).
TEST(MessageParser, HeadLimitCountsTheWholeHeadAcrossSegments) {
  request_parser p;
  p.header_limit(64);
  std::string buf;
  boost::beast::error_code ec;
  // Each segment ends one byte into the next line: Beast then consumes every complete
  // line and keeps no record of them.
  std::vector<std::string> segments{"GET / HTTP/1.1\r\nHost: x\r\nX"};
  for (int i = 0; i < 6; ++i) segments.push_back("-Filler: 0123456789\r\nX");
  segments.push_back("-Last: 1\r\n\r\n");
  for (const auto& segment : segments) {
    buf += segment;
    ec = {};
    buf.erase(0, p.put(boost::asio::buffer(buf), ec));
    if (ec && ec != boost::beast::http::error::need_more) break;
  }
  EXPECT_EQ(ec, boost::beast::http::error::header_limit);
  EXPECT_FALSE(p.is_header_done());
}

// Feeds a response in two pieces split at `at` (both pieces kept by the caller, as the
// proxy's read loop keeps unconsumed bytes) and returns the parser after the last put.
response_parser parse_response_split(const std::string& res, std::size_t at, boost::beast::error_code& ec) {
  response_parser p;
  std::string buf = res.substr(0, at);
  buf.erase(0, put_all(p, buf, ec));
  if (ec == boost::beast::http::error::need_more) ec = {};
  if (ec) return p;
  buf += res.substr(at);
  put_all(p, buf, ec);
  return p;
}

TEST(MessageParser, ResponseObsFoldIsJoinedTheSameWhereverTheBytesSplit) {
  std::string res = "HTTP/1.1 200 OK\r\nX-A: 1\r\n\t 2\r\nContent-Length: 2\r\n\r\nok";
  for (std::size_t at = 1; at < res.size(); ++at) {
    boost::beast::error_code ec;
    auto p = parse_response_split(res, at, ec);
    ASSERT_FALSE(ec) << "split at " << at << ": " << ec.message();
    EXPECT_EQ(p.headers.get("x-a").value_or(""), "1 2") << "split at " << at;
    EXPECT_EQ(p.body, "ok") << "split at " << at;
  }
}

TEST(MessageParser, BareLineFeedIsRefusedWithoutWaitingForMore) {
  request_parser p;
  boost::beast::error_code ec;
  std::string req = "GET / HTTP/1.1\nHost: x\n";  // no blank line yet: Beast waited here
  p.put(boost::asio::buffer(req), ec);
  EXPECT_EQ(ec, boost::beast::http::error::bad_line_ending);
}

TEST(MessageParser, RequestLineIsReadAsSoonAsItIsWhole) {
  request_parser p;
  p.header_limit(64);
  boost::beast::error_code ec;
  std::string req = "GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(80, 'a');
  p.put(boost::asio::buffer(req), ec);
  EXPECT_EQ(ec, boost::beast::http::error::header_limit);
  EXPECT_EQ(p.method, "GET");  // the session answers 431, not 414
  request_parser q;
  q.header_limit(64);
  std::string line = "GET /" + std::string(80, 'a');
  q.put(boost::asio::buffer(line), ec);
  EXPECT_EQ(ec, boost::beast::http::error::header_limit);
  EXPECT_TRUE(q.method.empty());  // 414
  request_parser v;
  std::string h2 = "GET / HTTP/2.0\r\n";
  v.put(boost::asio::buffer(h2), ec);
  EXPECT_EQ(ec, boost::beast::http::error::bad_version);
}

TEST(MessageParser, TrailersAreCheckedAndDropped) {
  auto ok = parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "3;name=v\r\nabc\r\n0\r\nX-T: 1\r\n\r\n");
  EXPECT_TRUE(ok.header_ok);
  EXPECT_TRUE(ok.done);
  EXPECT_EQ(ok.body, "abc");
  const std::vector<std::string> bad_bodies = {
      "0\r\nX T: 1\r\n\r\n", "0\r\nX-T: a\x01\r\n\r\n", "0\r\nX-T: 1\n\r\n",  // trailers
      "3 x\r\nabc\r\n0\r\n\r\n", std::string(5000, '1')};                     // chunk-size lines
  for (const auto& bad : bad_bodies) {
    auto r = parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + bad);
    EXPECT_FALSE(r.done) << bad.substr(0, 20);
  }
}

TEST(MessageParser, ResponseBodyFraming) {
  boost::beast::error_code ec;
  // No length: read to the end of the connection, which then cannot be reused.
  auto eof = parse_response_split("HTTP/1.1 200 OK\r\n\r\nall of it", 10, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(eof.need_eof());
  EXPECT_FALSE(eof.keep_alive());
  eof.put_eof(ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(eof.is_done());
  EXPECT_EQ(eof.body, "all of it");
  // 204 and 304 never have a body; nor has the answer to HEAD.
  for (std::string res : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                          "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"}) {
    response_parser p;
    p.put(boost::asio::buffer(res), ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(p.is_done()) << res;
  }
  response_parser head;
  head.skip(true);
  std::string res = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  head.put(boost::asio::buffer(res), ec);
  EXPECT_TRUE(head.is_done());
  EXPECT_TRUE(head.keep_alive());
  // A body cut short is an error at the end of the connection.
  response_parser cut;
  std::string part = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab";
  put_all(cut, part, ec);
  cut.put_eof(ec);
  EXPECT_EQ(ec, boost::beast::http::error::partial_message);
}

TEST(MessageParser, PassedBodyBytesStopAtContentLengthAndCopyNothing) {
  response_parser p;
  boost::beast::error_code ec;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  std::string bytes = head + "01234";
  auto used = p.put(boost::asio::buffer(bytes), ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(used, head.size());  // the head stops there: body bytes stay with the caller
  ASSERT_TRUE(p.in_length_body());
  EXPECT_EQ(p.pass_body(5), 5u);
  EXPECT_FALSE(p.is_done());
  // The rest of the body followed by the next message's bytes: only the body is passed.
  EXPECT_EQ(p.pass_body(8), 5u);
  EXPECT_TRUE(p.is_done());
  EXPECT_TRUE(p.body.empty());
  EXPECT_EQ(p.pass_body(3), 0u);
  EXPECT_TRUE(p.keep_alive());
}

TEST(MessageParser, PassBodyTakesNothingFromChunkedOrUnframedBodies) {
  for (std::string res : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "HTTP/1.1 200 OK\r\n\r\n"}) {
    response_parser p;
    boost::beast::error_code ec;
    p.put(boost::asio::buffer(res), ec);
    ASSERT_FALSE(ec);
    EXPECT_FALSE(p.in_length_body()) << res;
    EXPECT_EQ(p.pass_body(4), 0u) << res;
  }
}

}  // namespace
