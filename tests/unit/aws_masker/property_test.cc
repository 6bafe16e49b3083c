// Property tests (fixed seeds): random identifiers embedded in random text, JSON and SSE,
// split at random points — zero leaks, exact round trip.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

#include "plugins/aws-masker/json_text.h"
#include "plugins/aws-masker/testdata/aws_samples.h"
#include "test_util.h"

namespace gh::aws_masker::test {
namespace {

std::string hex(std::mt19937& g, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "0123456789abcdef"[g() % 16];
  return s;
}

std::string random_identifier(std::mt19937& g) {
  switch (g() % 10) {
    case 0:
      return "i-" + hex(g, 17);
    case 1:
      return "vpc-" + hex(g, 8);
    case 2:
      return "10." + std::to_string(g() % 256) + "." + std::to_string(g() % 256) + "." +
             std::to_string(1 + g() % 254);
    case 3:
      return "54." + std::to_string(g() % 256) + "." + std::to_string(g() % 256) + "." +
             std::to_string(1 + g() % 254);
    case 4:
      return "arn:aws:iam::" + std::to_string(100000000000ULL + g() % 800000000000ULL) + ":role/r" +
             hex(g, 5);
    case 5:
      return "AKIA" + std::string("ABCDEFGHIJ234567").substr(0, 8) +
             std::to_string(10000000 + g() % 89999999);
    case 6:
      return std::to_string(100000000000ULL + g() % 800000000000ULL);
    case 7:
      return "2600:1f18:" + hex(g, 4) + ":" + hex(g, 4) + "::" + hex(g, 3);
    case 8:
      return "sg-" + hex(g, 17);
    default:
      return "arn:aws:lambda:us-west-2:" + std::to_string(100000000000ULL + g() % 800000000000ULL) +
             ":function:f" + hex(g, 4);
  }
}

// Filler that cannot glue onto an identifier: words, punctuation, UTF-8.
std::string filler(std::mt19937& g) {
  static const char* words[] = {" the ", " instance ", ", ", "; ",  " é ", " 😀 ",
                                "\n",    " (",         ") ", " — ", " : "};
  std::string s;
  int n = 1 + static_cast<int>(g() % 4);
  for (int i = 0; i < n; ++i) s += words[g() % 11];
  return s;
}

struct sample {
  std::string text;
  std::vector<std::string> ids;
};

sample random_text(std::mt19937& g) {
  sample s;
  int n = 1 + static_cast<int>(g() % 12);
  s.text = filler(g);
  for (int i = 0; i < n; ++i) {
    s.ids.push_back(random_identifier(g));
    s.text += s.ids.back() + filler(g);
  }
  return s;
}

void expect_no_leak(const std::string& masked, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    ASSERT_EQ(masked.find(id), std::string::npos) << id << " leaked in " << masked;
}

TEST(Property, RandomTextNoLeakAndExactRoundTripAcrossRandomSplits) {
  std::mt19937 g(1234);
  for (int iter = 0; iter < 2000; ++iter) {
    sample s = random_text(g);
    mask_map map;
    std::string masked = mask_text(s.text, map);
    expect_no_leak(masked, s.ids);
    stream_restorer r(&map, restore_escape::none);
    std::string out;
    for (std::size_t i = 0; i < masked.size();) {
      std::size_t n = 1 + g() % 16;
      r.feed(std::string_view(masked).substr(i, n), out);
      i += n;
    }
    r.finish(out);
    ASSERT_EQ(out, s.text);
  }
}

TEST(Property, RandomJsonStaysValidNoLeakExactRoundTrip) {
  std::mt19937 g(99);
  for (int iter = 0; iter < 1000; ++iter) {
    sample s = random_text(g);
    boost::json::object o{{"model", "m"},
                          {"messages", boost::json::array{boost::json::object{
                                           {"role", "user"}, {"content", s.text}}}}};
    std::string in = boost::json::serialize(o);
    mask_map map;
    std::string masked;
    mask_body(default_engine(), "application/json", true, in, map, masked);
    expect_no_leak(masked, s.ids);
    boost::json::value v = boost::json::parse(masked);
    std::string restored;
    stream_restorer r(&map, restore_escape::json);
    for (std::size_t i = 0; i < masked.size(); i += 5)
      r.feed(std::string_view(masked).substr(i, 5), restored);
    r.finish(restored);
    ASSERT_EQ(boost::json::parse(restored), boost::json::parse(in));
  }
}

// mask_body_if_needed skips the copy of a body with nothing to mask: it must say "nothing"
// exactly when mask_body would write the body back unchanged, leave `out` alone then, and
// otherwise write what mask_body writes. Bodies with and without identifiers, as JSON,
// broken JSON (masked as text) and plain text.
TEST(Property, MaskIfNeededCopiesNothingExactlyWhenNothingIsMasked) {
  std::mt19937 g(4242);
  int unchanged = 0, changed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    sample s = random_text(g);
    std::string text = s.text;
    if (iter % 2 == 0) {  // the same text without its identifiers
      text = filler(g);
      for (int i = 0; i < 3; ++i) text += " " + filler(g);
    }
    std::string in;
    std::string ct = "application/json";
    switch (iter % 3) {
      case 0:
        in = boost::json::serialize(boost::json::object{{"content", text}});
        break;
      case 1:
        in = "{\"content\": \"" + text;  // not JSON: masked as text
        break;
      default:
        in = text;
        ct = "text/plain";
    }
    mask_map whole_map;
    std::string whole;
    mask_body(default_engine(), ct, true, in, whole_map, whole);
    mask_map map;
    std::string out = "kept";
    if (mask_body_if_needed(default_engine(), ct, true, in, map, out)) {
      ++changed;
      ASSERT_NE(whole, in);
      ASSERT_EQ(out, "kept" + whole);
      ASSERT_EQ(map.size(), whole_map.size());
    } else {
      ++unchanged;
      ASSERT_EQ(whole, in) << in;
      ASSERT_EQ(out, "kept");
      ASSERT_TRUE(map.empty());
    }
  }
  EXPECT_GT(unchanged, 500);
  EXPECT_GT(changed, 500);
}

// Past 1 MB the per-thread buffers are freed after masking: that must not lose what was
// masked.
TEST(Property, MaskIfNeededReportsAHugeMaskedBody) {
  std::string text(1'200'000, 'a');
  for (std::size_t i = 0; i < text.size(); i += 80) text[i] = '\n';
  text += "\nwhy is i-0123456789abcdef0 down?";
  const std::string in = boost::json::serialize(boost::json::object{{"content", text}});
  mask_map map;
  std::string out;
  ASSERT_TRUE(mask_body_if_needed(default_engine(), "application/json", true, in, map, out));
  EXPECT_NE(out.find("AWS_EC2_001"), std::string::npos);
  EXPECT_EQ(out.find("i-0123456789abcdef0"), std::string::npos);
}

// Strings with escapes are matched in place (\" kept, \n \r \t blanked) unless they hold
// another escape: that must mask exactly what decoding first masks. Pieces glue identifiers
// to escapes, quotes, key contexts and each other on purpose.
std::string adversarial_piece(std::mt19937& g) {
  static const char* pieces[] = {"\n",
                                 "\t",
                                 "\r",
                                 "\"",
                                 "\\",
                                 "/",
                                 "-",
                                 ".",
                                 ":",
                                 " ",
                                 "_",
                                 "=",
                                 "n",
                                 "t",
                                 "x",
                                 "A",
                                 "0",
                                 "\"SecretAccessKey\": \"",
                                 "aws_session_token=",
                                 "\"KeyId\":\"",
                                 "key_id: ",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "1234abcd-12ab-34cd-56ef-1234567890ab",
                                 "FwoGZXIvYXdzEXAMPLE",
                                 "s3://",
                                 ".s3.amazonaws.com",
                                 "ip-10-0-1-5",
                                 ".ec2.internal",
                                 "é"};
  if (g() % 3 == 0) return random_identifier(g);
  return pieces[g() % (sizeof pieces / sizeof pieces[0])];
}

TEST(Property, JsonStringsMatchedInPlaceMaskExactlyAsDecodedOnes) {
  std::mt19937 g(4242);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const int n = 1 + static_cast<int>(g() % 40);
    for (int i = 0; i < n; ++i) text += adversarial_piece(g);
    if (g() % 4 == 0) text = std::string(64 + g() % 80, ' ') + text;  // past one block
    const std::string in = boost::json::serialize(boost::json::object{{"t", text}, {text, 1}});
    mask_map in_place_map, decoded_map;
    std::string in_place, decoded;
    ASSERT_TRUE(mask_json(default_engine(), in, in_place_map, in_place));
    ASSERT_TRUE(mask_json(default_engine(), in, decoded_map, decoded, nullptr, json_scan::decoded));
    ASSERT_EQ(in_place, decoded) << in;
    ASSERT_EQ(in_place_map.size(), decoded_map.size());
    for (std::size_t i = 0; i < in_place_map.size(); ++i)
      ASSERT_EQ(in_place_map.at(i).value, decoded_map.at(i).value);
  }
}

TEST(Property, RandomSseRandomChunksRestoresEveryDelta) {
  std::mt19937 g(7);
  for (int iter = 0; iter < 500; ++iter) {
    sample s = random_text(g);
    mask_map map;
    std::string masked = mask_text(s.text, map);
    std::string sse = testdata::sse_response(masked, 1 + g() % 12);
    sse_restorer r(&map);
    std::string out;
    for (std::size_t i = 0; i < sse.size();) {
      std::size_t n = 1 + g() % 40;
      r.feed(std::string_view(sse).substr(i, n), out);
      i += n;
    }
    r.finish(out);
    std::string text;
    std::size_t pos = 0;
    while ((pos = out.find("data: ", pos)) != std::string::npos) {
      std::size_t end = out.find('\n', pos);
      boost::json::value v =
          boost::json::parse(std::string_view(out).substr(pos + 6, end - pos - 6));
      pos = end;
      if (v.as_object().at("type") == "content_block_delta") {
        text += std::string(v.as_object().at("delta").as_object().at("text").as_string());
      }
    }
    ASSERT_EQ(text, s.text);
  }
}

TEST(Property, DescribeInstancesPayloadHasNoLeakAndRoundTrips) {
  auto d = testdata::describe_instances(40);
  std::string req = testdata::messages_request(d.text);
  EXPECT_GT(req.size(), 38000u);
  EXPECT_GE(d.identifiers.size(), 360u);
  mask_map map;
  std::string masked;
  mask_body(default_engine(), "application/json", true, req, map, masked);
  expect_no_leak(masked, d.identifiers);
  std::string restored;
  stream_restorer::restore_all(map, restore_escape::json, masked, restored);
  EXPECT_EQ(restored, req);
}

}  // namespace
}  // namespace gh::aws_masker::test
