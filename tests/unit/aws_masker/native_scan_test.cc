// The fast paths must agree with their plain definitions: native_scanner with the
// Vectorscan regexes it replaces (after the checks), and the bitmap JSON string scan /
// vectorised unescape with byte-by-byte references, on random and adversarial input.
#include "plugins/aws-masker/native_scan.h"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <span>
#include <tuple>

#include "plugins/aws-masker/catalogue.h"
#include "plugins/aws-masker/json_text.h"
#include "plugins/aws-masker/mask_engine.h"
#include "plugins/aws-masker/simd.h"

namespace gh::aws_masker {
namespace {

using accepted = std::set<std::tuple<unsigned, std::size_t, std::size_t, std::string>>;

struct reference_db {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  std::vector<unsigned> ids;
  reference_db() {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags;
    const auto& cat = default_catalogue();
    for (unsigned i = 0; i < cat.size(); ++i) {
      if (cat[i].scan == scanner::vectorscan) continue;
      exprs.push_back(cat[i].regex.c_str());
      flags.push_back(cat[i].hs_flags | HS_FLAG_SOM_LEFTMOST);
      ids.push_back(i);
    }
    hs_compile_error_t* err = nullptr;
    EXPECT_EQ(
        hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err),
        HS_SUCCESS);
    hs_alloc_scratch(db, &scratch);
  }
  ~reference_db() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
};

accepted checked(std::string_view text, const std::vector<raw_match>& raw) {
  accepted out;
  check_result r;
  for (const raw_match& m : raw) {
    const pattern_def& p = default_catalogue()[m.id];
    if (apply_check(p.kind, text, m.from, m.to, r)) {
      out.emplace(m.id, r.from, r.to, std::string(r.derived_type));
    }
  }
  return out;
}

accepted via_vectorscan(const reference_db& ref, std::string_view text) {
  std::vector<raw_match> raw;
  hs_scan(
      ref.db, text.data(), static_cast<unsigned>(text.size()), 0, ref.scratch,
      [](unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
        static_cast<std::vector<raw_match>*>(ctx)->push_back(
            {id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
        return 0;
      },
      &raw);
  return checked(text, raw);
}

accepted via_native(std::string_view text) {
  native_scanner ns;
  const auto& cat = default_catalogue();
  for (unsigned i = 0; i < cat.size(); ++i) {
    if (cat[i].scan != scanner::vectorscan) ns.add(i, cat[i]);
  }
  std::vector<raw_match> raw;
  ns.scan(text, raw);
  return checked(text, raw);
}

// Text built from the pieces these patterns are made of, glued in random order.
std::string adversarial(std::mt19937& g, std::size_t pieces) {
  static const char* parts[] = {"i-",
                                "vpc-",
                                "eni-attach-",
                                "tgw-rtb-",
                                "rtb-",
                                "-",
                                "sg-",
                                "x",
                                "_",
                                ".",
                                ":",
                                "::",
                                "0",
                                "1",
                                "12",
                                "255",
                                "256",
                                "9",
                                "a",
                                "f",
                                "F",
                                "g",
                                " ",
                                "\n",
                                "\"",
                                "0123456789abcdef0",
                                "deadbeef",
                                "123456789012",
                                "1234567890123",
                                "10.0.0.1",
                                "2600:1f18::1",
                                "fe80::",
                                "/",
                                "=",
                                ",",
                                "Z",
                                "E",
                                "Q",
                                "Z1234567890AB",
                                "E12345678901",
                                "ABCDEFGHIJKLMNOPQRSTU",
                                "0A",
                                "ip-",
                                "IP-",
                                "iP-",
                                "sip-",
                                "ip-10-0-1-2",
                                ".ec2.internal",
                                ".us-west-2.compute.internal",
                                "0e:ff:22:f6:06:44",
                                "0E:ff:22:f6:06:44",
                                "0e:ff:22:f6:06:4",
                                "0e:ff:22:f6:06:44:1",
                                "0e:ff:22:f6:06:44.1",
                                "0e:ff::f6:06:44"};
  std::string s;
  for (std::size_t i = 0; i < pieces; ++i) s += parts[g() % std::size(parts)];
  return s;
}

// Runs `body` once per vector level (plain C++, SSE2, AVX2 where the CPU has them), so
// every form of the byte passes is tested on one machine.
template <typename Body>
void at_every_simd_level(Body&& body) {
  for (simd_level level :
       {simd_level::none, simd_level::sse2, simd_level::avx2, simd_level::avx512}) {
    limit_simd(level);
    SCOPED_TRACE("simd level " + std::to_string(static_cast<int>(level)));
    body();
  }
  limit_simd(simd_level::avx512);
}

TEST(NativeScan, AcceptsExactlyWhatTheVectorscanPatternsAcceptOnAdversarialText) {
  reference_db ref;
  std::mt19937 g(7);
  for (int round = 0; round < 3000; ++round) {
    std::string text = adversarial(g, 1 + g() % 60);
    ASSERT_EQ(via_native(text), via_vectorscan(ref, text)) << text;
  }
}

TEST(NativeScan, AgreesOnLongTextCrossing64ByteBlocks) {
  reference_db ref;
  std::mt19937 g(11);
  std::string text = adversarial(g, 5000);
  at_every_simd_level([&] {
    EXPECT_EQ(via_native(text), via_vectorscan(ref, text));
    for (int round = 0; round < 300; ++round) {  // every length of a partial last block
      const std::string t = adversarial(g, 1 + g() % 80);
      ASSERT_EQ(via_native(t), via_vectorscan(ref, t)) << t;
    }
  });
  EXPECT_GT(via_native(text).size(), 20u);  // the corpus does contain identifiers
  const accepted found = via_native(text);
  const auto upper_ids = std::count_if(found.begin(), found.end(), [](const auto& a) {
    return default_catalogue()[std::get<0>(a)].scan == scanner::upper_id;
  });
  EXPECT_GT(upper_ids, 0);  // and upper-case IDs among them
}

std::size_t reference_scan(std::string_view t, std::size_t pos, bool& esc) {
  esc = false;
  for (std::size_t i = pos + 1; i < t.size(); ++i) {
    if (t[i] == '\\') {
      esc = true;
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return json_text::npos;
}

TEST(JsonScan, BitmapStringScanMatchesAByteByByteScanWithBackslashRunsAtBlockEdges) {
  std::mt19937 g(3);
  const char alphabet[] = {'\\', '\\', '"', 'a', 'n', ' ', 'u'};
  for (int round = 0; round < 20000; ++round) {
    std::string s = "\"";
    std::size_t len = g() % 200;
    for (std::size_t i = 0; i < len; ++i) s += alphabet[g() % sizeof alphabet];
    bool e1 = false, e2 = false;
    std::size_t a = json_text::scan_string(s, 0, e1);
    std::size_t b = reference_scan(s, 0, e2);
    ASSERT_EQ(a, b) << s;
    if (a != json_text::npos) {
      ASSERT_EQ(e1, e2) << s;
    }
  }
}

TEST(JsonScan, UnescapeMatchesTheSimpleDecoderAndItsOffsetsMapBack) {
  std::mt19937 g(5);
  static const char* parts[] = {
      "a",   "bc",       "\\n",           "\\\"",           "\\\\",
      "\\/", "\\u0041",  "\\u00e9",       "\\ud83d\\ude00", "0123456789abcdef",
      "é",   "\\\\\\\"", "\\ud83d\\u0041"};
  for (int round = 0; round < 5000; ++round) {
    std::string raw, expect;
    std::size_t n = g() % 120;  // up to ~600 bytes: escapes at every 64-byte block edge
    std::vector<std::pair<std::size_t, std::size_t>> starts;  // decoded -> raw of each part
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t k = g() % std::size(parts);
      starts.emplace_back(expect.size(), raw.size());
      raw += parts[k];
      static const char* decoded[] = {"a",
                                      "bc",
                                      "\n",
                                      "\"",
                                      "\\",
                                      "/",
                                      "A",
                                      "\xc3\xa9",
                                      "\xf0\x9f\x98\x80",
                                      "0123456789abcdef",
                                      "é",
                                      "\\\"",
                                      "\xed\xa0\xbd"
                                      "A"};
      expect += decoded[k];
    }
    std::string out;
    std::vector<json_text::escape_mark> marks;
    ASSERT_TRUE(json_text::unescape(raw, out, &marks)) << raw;
    ASSERT_EQ(out, expect) << raw;
    json_text::offset_cursor cursor(marks);
    for (auto [d, r] : starts) {
      EXPECT_EQ(json_text::raw_offset(marks, d), r) << raw;
      EXPECT_EQ(cursor.raw(d), r) << raw;
    }
    std::string unmarked;
    ASSERT_TRUE(json_text::unescape(raw, unmarked)) << raw;
    ASSERT_EQ(unmarked, expect) << raw;
    // A malformed escape anywhere, also deep in a long text, is reported.
    std::string broken = raw;
    broken.insert(g() % (broken.size() + 1), "\\x");
    if (broken.find("\\\\x") == std::string::npos) {
      EXPECT_FALSE(json_text::unescape(broken, out)) << broken;
    }
  }
  std::string out;
  EXPECT_FALSE(json_text::unescape("abc\\", out));
  EXPECT_FALSE(json_text::unescape("\\x", out));
  EXPECT_FALSE(json_text::unescape("\\u12", out));
}

// The in-place pass (blanking \n \r \t and building the scanners' bitmaps in one loop)
// must give what blank_escapes followed by a plain scan gives, and fail where it fails, at
// every vector level; blank_escapes and the string scan must agree across levels too.
TEST(JsonScan, InPlacePassEqualsBlankThenScanAtEveryLevel) {
  native_scanner ns;
  const auto& cat = default_catalogue();
  for (unsigned i = 0; i < cat.size(); ++i) {
    if (cat[i].scan != scanner::vectorscan) ns.add(i, cat[i]);
  }
  auto sorted = [](std::vector<raw_match> v) {
    std::vector<std::tuple<unsigned, uint32_t, uint32_t, bool>> t;
    for (const raw_match& m : v) t.emplace_back(m.id, m.from, m.to, m.checked);
    std::sort(t.begin(), t.end());
    return t;
  };
  // The last four fail the in-place pass (only \\n \\r \\t \\" may be blanked or kept).
  static const char* parts[] = {"\\n", "\\\"", "\\t", "\\r", "i-", "0123456789abcdef0",
                                "deadbeef", "10.0.0.1", "123456789012", "fe80::1",
                                "Z1234567890AB", "E12345678901", "-", ":", ".", " ", "x", "n",
                                "\\\\", "\\/", "\\u0041", "\\"};
  std::mt19937 g(21);
  int in_place = 0;
  std::string blanked;  // reused, as the masker reuses it: longer than most strings after a while
  for (int round = 0; round < 3000; ++round) {
    std::string raw;
    const std::size_t n = g() % 90;  // up to ~900 bytes: escapes across block edges
    for (std::size_t i = 0; i < n; ++i) raw += parts[g() % (std::size(parts) - (g() % 4 ? 4 : 0))];
    limit_simd(simd_level::none);
    std::string ref_blank;
    const bool ok = json_text::blank_escapes(raw, ref_blank);
    std::vector<raw_match> ref;
    if (ok) ns.scan(ref_blank, ref);
    bool ref_esc = false;
    const std::string quoted = "\"" + raw + "\"";
    const std::size_t ref_end = json_text::scan_string(quoted, 0, ref_esc);
    in_place += ok ? 1 : 0;
    at_every_simd_level([&] {
      std::string plain;
      std::vector<raw_match> found;
      ASSERT_EQ(ns.scan_json_in_place(raw, blanked, found), ok) << raw;
      ASSERT_EQ(json_text::blank_escapes(raw, plain), ok) << raw;
      if (ok) {
        ASSERT_GE(blanked.size(), raw.size());
        ASSERT_EQ(std::string_view(blanked).substr(0, raw.size()), ref_blank) << raw;
        ASSERT_EQ(plain, ref_blank) << raw;
        ASSERT_EQ(sorted(found), sorted(ref)) << raw;
      }
      bool esc = false;
      ASSERT_EQ(json_text::scan_string(quoted, 0, esc), ref_end) << raw;
      if (ref_end != json_text::npos) {
        ASSERT_EQ(esc, ref_esc) << raw;
      }
    });
  }
  EXPECT_GT(in_place, 500);  // both outcomes were exercised
  EXPECT_LT(in_place, 2900);
}

// The block path (long strings of one-character escapes) must decode like the marks path
// and map every decoded position to the same raw offset, the positions on an escape's
// decoded byte included; anything else (\u, malformed, short) is left to the marks path.
TEST(JsonScan, BlockUnescapeDecodesAndMapsEveryPositionLikeTheMarksPath) {
  std::mt19937 g(9);
  static const char* parts[] = {"a", "bc", "\\n", "\\\"", "\\\\", "\\/", "\\t",
                                "0123456789abcdef", "é", "\\\\\\\"", "\\u0041"};
  int used = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string raw;
    const std::size_t n = g() % 160;  // up to ~800 bytes: escapes across every block edge
    const bool with_u = g() % 8 == 0;
    for (std::size_t i = 0; i < n; ++i) raw += parts[g() % (std::size(parts) - (with_u ? 0 : 1))];
    if (g() % 16 == 0) raw.insert(g() % (raw.size() + 1), "\\x");
    if (g() % 16 == 0) raw += "\\";
    std::string expect, out;
    std::vector<json_text::escape_mark> marks;
    const bool valid = json_text::unescape(raw, expect, &marks);
    json_text::block_offsets blocks;
    const bool fast = json_text::unescape_blocks(raw, out, blocks);
    if (!fast) {
      EXPECT_TRUE(!valid || raw.size() < 64 || raw.find("\\u") != std::string::npos) << raw;
      continue;
    }
    ++used;
    ASSERT_TRUE(valid) << raw;
    ASSERT_EQ(out, expect) << raw;
    json_text::block_cursor cursor(blocks);
    for (std::size_t d = 0; d <= out.size(); ++d) {
      ASSERT_EQ(cursor.raw(d), json_text::raw_offset(marks, d)) << raw << " at " << d;
    }
  }
  EXPECT_GT(used, 1000);  // the block path did run (a CPU with SSSE3 and POPCNT)
}

// A Vectorscan database of one regex (start of match leftmost), compiled once.
class one_regex {
 public:
  one_regex(const char* regex, unsigned flags) {
    hs_compile_error_t* err = nullptr;
    EXPECT_EQ(hs_compile(regex, flags | HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &db_, &err),
              HS_SUCCESS);
    hs_alloc_scratch(db_, &scratch_);
  }
  ~one_regex() {
    hs_free_scratch(scratch_);
    hs_free_database(db_);
  }
  one_regex(const one_regex&) = delete;
  one_regex& operator=(const one_regex&) = delete;
  // Every raw match in `text`.
  std::vector<raw_match> matches(std::string_view text) const {
    std::vector<raw_match> raw;
    hs_scan(
        db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch_,
        [](unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
          static_cast<std::vector<raw_match>*>(ctx)->push_back(
              {id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
          return 0;
        },
        &raw);
    return raw;
  }

 private:
  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

std::string glue(std::mt19937& g, std::span<const char* const> parts, std::size_t max) {
  std::string text;
  for (std::size_t i = 0, n = g() % (max + 1); i < n; ++i) text += parts[g() % parts.size()];
  return text;
}

// The (from, to) of the candidates `kind` accepts among `raw`.
std::set<std::pair<std::size_t, std::size_t>> accepted_spans(std::string_view text,
                                                             const std::vector<raw_match>& raw,
                                                             check kind) {
  std::set<std::pair<std::size_t, std::size_t>> out;
  check_result r;
  for (const raw_match& m : raw) {
    if (apply_check(kind, text, m.from, m.to, r)) out.emplace(r.from, r.to);
  }
  return out;
}

// On `rounds` random texts of up to `max_parts` of `parts`: the spans `anchor_check`
// accepts among `anchor`'s matches are those `regex_check` accepted among the documented
// `regex`'s. Returns how many spans the regex side accepted in all.
std::size_t compare_anchor_with_regex(const one_regex& regex, check regex_check,
                                      const one_regex& anchor, check anchor_check,
                                      std::span<const char* const> parts, std::size_t max_parts,
                                      int rounds, uint32_t seed) {
  std::mt19937 g(seed);
  std::size_t found = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string text = glue(g, parts, max_parts);
    const auto expected = accepted_spans(text, regex.matches(text), regex_check);
    found += expected.size();
    const auto got = accepted_spans(text, anchor.matches(text), anchor_check);
    EXPECT_EQ(got, expected) << text;
    if (got != expected) break;
  }
  return found;
}

// EC2_PRIVATE_HOST is found by its "ip-" anchor and read by its check; it must keep what
// the full regex (plus the host check and longest-match precedence) keeps.
TEST(CatalogueAnchor, Ec2PrivateHostCheckKeepsWhatTheFullRegexKept) {
  const char* full =
      R"(ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.ec2\.internal|\.[a-z0-9-]+\.compute\.internal)?)";
  const one_regex whole(full, HS_FLAG_CASELESS), anchor("ip-", HS_FLAG_CASELESS);
  auto longest = [](std::string_view text, const std::vector<raw_match>& raw, check kind) {
    std::map<std::size_t, std::size_t> kept;  // start -> longest accepted end
    check_result r;
    for (const raw_match& m : raw) {
      if (!apply_check(kind, text, m.from, m.to, r)) continue;
      kept[r.from] = std::max(kept[r.from], r.to);
    }
    return kept;
  };
  static const char* parts[] = {"ip-",
                                "IP-",
                                "zip-",
                                "1",
                                "12",
                                "123",
                                "1234",
                                "-",
                                ".",
                                ".ec2.internal",
                                ".EC2.Internal",
                                ".ec2.internalx",
                                ".us-east-1",
                                ".compute.internal",
                                "x",
                                "_",
                                " ",
                                "\"",
                                "10.0.1.5",
                                "ip-10-0-1-5",
                                "ip-1-22-3-456",
                                "Ip-9-9-9-9"};
  std::mt19937 g(11);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (std::size_t i = 0, n = g() % 14; i < n; ++i) text += parts[g() % std::size(parts)];
    ASSERT_EQ(longest(text, anchor.matches(text), check::ec2_private_host),
              longest(text, whole.matches(text), check::host))
        << text;
  }
}

// ARN, ACCESS_KEY and EC2_HOST are found by Vectorscan as a literal anchor and read by
// their checks; each must accept exactly what its documented regex with the former check
// accepted (the ARN's prefix end, which its check then extends, is compared directly).
TEST(CatalogueAnchor, ArnPrefixIsWhatTheDocumentedRegexMatched) {
  const one_regex full(
      R"(arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:)", 0);
  static const char* const parts[] = {"arn:aws",
                                      "arn:aws:",
                                      "arn:aws:iam::123456789012:",
                                      "arn:aws:ec2:us-east-1:123456789012:",
                                      "arn:aws:s3:::",
                                      "arn:aws-cn:iam::aws:",
                                      "Arn:aws",
                                      "-cn",
                                      "-us-gov",
                                      "-iso",
                                      "-iso-b",
                                      "-isox",
                                      "-us",
                                      ":",
                                      "::",
                                      ":::",
                                      "s3",
                                      "iam",
                                      "ec2",
                                      "us-east-1",
                                      "123456789012",
                                      "12345678901",
                                      "1234567890123",
                                      "aws",
                                      "aw",
                                      "awsx",
                                      "role/x",
                                      "A",
                                      "-",
                                      "x",
                                      "0",
                                      "_",
                                      " "};
  std::mt19937 g(23);
  std::size_t found = 0;
  for (int round = 0; round < 30000; ++round) {
    const std::string text = glue(g, parts, 12);
    std::map<std::size_t, std::size_t> expected;  // start -> prefix end
    for (const raw_match& m : full.matches(text)) {
      ASSERT_FALSE(expected.contains(m.from)) << text;  // one end per start
      expected[m.from] = m.to;
    }
    found += expected.size();
    for (std::size_t s = text.find("arn:aws"); s != std::string::npos;
         s = text.find("arn:aws", s + 1)) {
      const auto it = expected.find(s);
      ASSERT_EQ(arn_prefix_end(text, s), it == expected.end() ? 0 : it->second) << text;
    }
  }
  EXPECT_GT(found, 500u);
}

TEST(CatalogueAnchor, AccessKeyCheckAcceptsWhatTheDocumentedRegexAccepted) {
  const one_regex full(
      "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}", 0);
  const one_regex anchor("AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA", 0);
  static const char* const parts[] = {"AKIA",
                                      "ASIA",
                                      "AROA",
                                      "AKIB",
                                      "ABCDEFGHIJKLMNOP",
                                      "0123456789",
                                      "ABCDEFG",
                                      "A",
                                      "Z",
                                      "9",
                                      "a",
                                      "_",
                                      "-",
                                      " ",
                                      "AKIAIOSFODNN7EXAMPLE",
                                      "AKIAIOSFODNN7EXAMPLE1"};
  EXPECT_GT(compare_anchor_with_regex(full, check::resource_id, anchor, check::access_key, parts,
                                      10, 30000, 29),
            500u);
}

TEST(CatalogueAnchor, Ec2PublicHostCheckAcceptsWhatTheDocumentedRegexAccepted) {
  const one_regex full(
      R"(ec2-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.(?:[a-z0-9-]+\.)?compute(?:-1)?\.amazonaws\.com(?:\.cn)?)",
      HS_FLAG_CASELESS);
  const one_regex anchor("ec2-", HS_FLAG_CASELESS);
  static const char* const parts[] = {"ec2-",
                                      "EC2-",
                                      "ec2-54-1-2-3",
                                      "ec2-54-1-2-3.",
                                      "ec2-1-22-255-9.compute-1.amazonaws.com",
                                      "1",
                                      "12",
                                      "123",
                                      "1234",
                                      "-",
                                      ".",
                                      "compute",
                                      "Compute",
                                      "compute-1",
                                      "-1",
                                      "compute-2",
                                      "-2",
                                      ".amazonaws.com",
                                      ".AmazonAWS.COM",
                                      ".cn",
                                      ".CN",
                                      "us-west-2",
                                      ".compute-1.amazonaws.com",
                                      ".us-west-2.compute.amazonaws.com",
                                      "x",
                                      "_",
                                      " ",
                                      "/"};
  EXPECT_GT(compare_anchor_with_regex(full, check::host, anchor, check::ec2_public_host, parts, 12,
                                      100000, 31),
            500u);
}

// The catalogue's Vectorscan patterns are scanned only around their anchors (mask_engine):
// that must find exactly what a scan of the whole text finds, whatever surrounds the
// anchors, on text made of the patterns' own pieces and of the bytes that end a run.
TEST(AnchoredScan, FindsExactlyWhatTheWholeTextScanFinds) {
  static const char* parts[] = {"arn:aws:",
                                "arn:aws-cn:",
                                "arn:aws-us-gov:",
                                "arn:aws:s3:::",
                                "arn",
                                ":aws",
                                "iam",
                                "s3",
                                "lambda:",
                                ":",
                                "::",
                                "123456789012",
                                "aws:",
                                "role/x",
                                "s3://",
                                "s3a://",
                                "s3n://",
                                "https://sqs.",
                                "http://",
                                ".amazonaws.com",
                                ".AmazonAWS.com",
                                ".amazonaws.com.cn",
                                "/",
                                ".s3",
                                "s3.",
                                "s3-",
                                "us-east-1",
                                ".rds",
                                ".elb",
                                ".execute-api.",
                                "abcdefghij",
                                "a1b2c3d4e5",
                                ".cloudfront.net",
                                ".CloudFront.NET",
                                "d111111abcdef8",
                                ".eks",
                                ".cache",
                                "ec2-1-2-3-4",
                                "ec2-54-12-1-200",
                                ".compute-1",
                                ".compute",
                                ".dkr.ecr.",
                                "/aws/",
                                "lambda",
                                "my-fn",
                                "AKIA",
                                "ASIA",
                                "AROA",
                                "ABCDEFGHIJKLMNOP",
                                "0123456789",
                                "AKIAIOSFODNN7EXAMPLE",
                                "aws_secret_access_key",
                                "SecretAccessKey",
                                "session_token",
                                "SessionToken",
                                "security-token",
                                "kms_key_id",
                                "KeyId",
                                "secret",
                                "Secret",
                                "_",
                                "access",
                                "Access",
                                "key",
                                "KEY",
                                "Id",
                                "kms",
                                "id",
                                "token",
                                "Token",
                                "session",
                                "security",
                                "\\",
                                "\"",
                                "'",
                                " ",
                                "  ",
                                "\t",
                                "\n",
                                "\r",
                                "\v",
                                "=",
                                ",",
                                "{",
                                "}",
                                "[",
                                ";",
                                "FwoGZXIvYXdz",
                                "IQoJb3JpZ2lu",
                                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                "-",
                                ".",
                                "x",
                                "Z",
                                "\xc3\xa9",
                                std::string_view("\0", 1).data()};
  mask_engine engine{engine_options{}};
  std::mt19937 g(17);
  auto add_part = [&](std::string& text) {
    const char* p = parts[g() % std::size(parts)];
    text.append(p, *p == '\0' ? 1 : std::strlen(p));
  };
  // The raw matches (id, from, to) in position order, found around anchors and over the
  // whole text.
  using sorted_matches = std::vector<std::tuple<unsigned, uint32_t, uint32_t>>;
  auto both_scans = [&](const std::string& text) {
    std::pair<sorted_matches, sorted_matches> r;
    for (bool whole : {false, true}) {
      std::vector<raw_match> raw;
      engine.vectorscan_matches(text, raw, whole);
      sorted_matches& t = whole ? r.second : r.first;
      for (const raw_match& m : raw) t.emplace_back(m.id, m.from, m.to);
      std::sort(t.begin(), t.end());
    }
    return r;
  };
  std::size_t found = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (std::size_t i = 0, n = 1 + g() % 40; i < n; ++i) add_part(text);
    const auto [anchored, whole] = both_scans(text);
    found += whole.size();
    ASSERT_EQ(anchored, whole) << text;
  }
  EXPECT_GT(found, 5000u);  // the corpus does hold the patterns' matches
  // Long texts, from anchors a few KB apart (windows scanned one by one or joined) to
  // anchors dense enough that the whole text is scanned instead.
  const std::string filler = std::string(250, 'x') + ", ";
  for (unsigned every : {1u, 2u, 8u, 30u, 120u}) {
    for (int round = 0; round < 20; ++round) {
      std::string text;
      for (std::size_t i = 0, n = 200 + g() % 3000; i < n; ++i) {
        if (g() % every != 0)
          text += filler;
        else
          add_part(text);
      }
      const auto [anchored, whole] = both_scans(text);
      ASSERT_EQ(anchored, whole) << "one part in " << every;
    }
  }
}

}  // namespace
}  // namespace gh::aws_masker
