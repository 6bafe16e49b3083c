// Reproducers found by the fuzz target tests/fuzz/fuzz_aws_masker.cc
// (tests/fuzz/regressions/fuzz_aws_masker/), each reduced to the behaviour it broke.
#include <gtest/gtest.h>

#include "test_util.h"

namespace gh::aws_masker::test {
namespace {

// secret-prefix-survives-overlap: the session token and the RDS hostname overlap without
// either containing the other; the longer hostname won and the token's prefix stayed.
TEST(Overlap, PartlyOverlappingCandidatesAreMaskedAsOneValueNoPrefixLeft) {
  const std::string text =
      "X-Amz-Security-Token:UtnFEMI/K7MDENG/bPxRfiCs-east-1.rds.amazonaws.com ip 10.0.1.5";
  mask_map map;
  const std::string masked = mask_text(text, map);
  EXPECT_EQ(masked, "X-Amz-Security-Token:AWS_RDS_HOST_001 ip AWS_PRIVATE_IP_001");
  EXPECT_EQ(masked.find("UtnFEMI"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("K7MDENG"), std::string::npos) << masked;
  mask_map again;
  EXPECT_EQ(mask_text(masked, again), masked) << "masking the masked text finds a leftover";
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(restore_text(masked, map), text);
}

// A cluster made only of nested candidates keeps the precedence: the outer one is masked.
TEST(Overlap, NestedCandidatesStillMaskTheOuterOneWithItsType) {
  mask_map map;
  EXPECT_EQ(mask_text("see arn:aws:sns:us-east-1:123456789012:topic now", map),
            "see AWS_ARN_001 now");
  EXPECT_EQ(map.size(), 1u);
}

// A merged span is typed by the precedence winner (here a custom pattern, longest).
TEST(Overlap, MergedSpanTakesTheTypeOfTheWinner) {
  engine_options o;
  o.custom_patterns.push_back({"LEFT", "abc-[0-9]{6}"});
  o.custom_patterns.push_back({"RIGHT", "[0-9]{3}-xyz"});
  mask_engine e(o);
  mask_map map;
  EXPECT_EQ(mask_text("id abc-123456-xyz ok", map, e), "id AWS_LEFT_001 ok");
  EXPECT_EQ(map.value_of("AWS_LEFT_001"), "abc-123456-xyz");
}

// bucket-left-in-clear-beside-account: after "s3://" a name-like run that breaks the
// bucket rules ("..", over 63 characters) was rejected while the account or IP inside it
// was masked, so the head of the run stayed in clear and, once the identifier was a token,
// masking again found a valid bucket. Such a run is now masked whole.
void expect_masked_whole_once(const std::string& text, const std::string& expected) {
  mask_map map;
  const std::string masked = mask_text(text, map);
  EXPECT_EQ(masked, expected);
  mask_map again;
  EXPECT_EQ(mask_text(masked, again), masked) << "masking the masked text finds a leftover";
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(restore_text(masked, map), text);
}

TEST(Bucket, RunWithDoubleDotAndAnIpIsMaskedWholeNotJustTheIp) {
  expect_masked_whole_once("cp s3://name........10.0.0.1 .", "cp s3://AWS_BUCKET_001 .");
}

TEST(Bucket, RunLongerThan63WithAnAccountIsMaskedWhole) {
  const std::string run =
      "my-buc11y1111111111155k5115ip-10-0-0-55515555.c" + std::string(30, '-') + "123456789012";
  expect_masked_whole_once("s3://" + run + " x", "s3://AWS_BUCKET_001 x");
}

TEST(Bucket, LegacyNameWithUpperCaseOrUnderscoreIsMaskedWhole) {
  expect_masked_whole_once("s3://my-bucket-123456789012-logsX/key", "s3://AWS_BUCKET_001/key");
  expect_masked_whole_once("arn:aws:s3:::my_Bucket/*", "arn:aws:s3:::AWS_BUCKET_001/*");
}

TEST(Bucket, ValidBucketKeepsItsExactExtentAndTrailingPunctuation) {
  expect_masked_whole_once("see s3://my-data-bucket... or s3://b2b-logs-01.",
                           "see s3://AWS_BUCKET_001... or s3://AWS_BUCKET_002.");
}

// secret-window-closed-by-token(-json-context), session-token-window-closed-by-token: a
// base64 run after a secret-key name or the STS prefix that was not exactly a secret (39
// characters, or broken by a host or IP) stayed in clear; once the host/IP beside it was
// a token, the token's "AWS" completed a 40-character secret. The whole run is now the
// secret, whatever its length (at least 8 bytes), and an overlapping host/IP goes with it.
TEST(Secret, RunShorterThan40BesideAnIpIsMaskedWithIt) {
  expect_masked_whole_once("aws_secret_access_key=wJalrXUtnFEMI/K7MDEN/bPxRfiCYEXAM/10.0.1.5 x",
                           "aws_secret_access_key=AWS_SECRET_KEY_001 x");
}

TEST(Secret, RunBrokenByABucketHostIsMaskedWithIt) {
  expect_masked_whole_once(
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDEN/bPxRfiCYEXAMPLE/my-bucket.s3.us-west-2."
      "amazonaws.com x",
      "aws_secret_access_key=AWS_SECRET_KEY_001.s3.us-west-2.amazonaws.com x");
}

TEST(Secret, AnyLengthFromEightAfterTheKeyNameIsMasked) {
  expect_masked_whole_once("secret_access_key = wJalrXUt\n", "secret_access_key = AWS_SECRET_KEY_001\n");
  const std::string long_key(64, 'K');
  expect_masked_whole_once("aws_secret_access_key=" + long_key + "== y",
                           "aws_secret_access_key=AWS_SECRET_KEY_001 y");
}

// uuid-secret-value-tail: a session token that is a UUID was masked up to its first dash;
// the rest, no longer a UUID, left its 12-digit tail to be read as an account in clear.
TEST(Secret, UuidValueAfterAKeyNameIsMaskedWhole) {
  expect_masked_whole_once("SessionToken\":1234abcd-12ab-34cd-56ef-123456567890 x",
                           "SessionToken\":AWS_SESSION_TOKEN_001 x");
  expect_masked_whole_once("secret_access_key=1234abcd-12ab-34cd-56ef-123456567890\n",
                           "secret_access_key=AWS_SECRET_KEY_001\n");
  // uuid-secret-after-base64-byte: the run may start before the UUID ('/' is base64); it
  // still ends at the UUID's end, not at its first dash.
  expect_masked_whole_once("SessionToken\":/1232abcd-12ab-34cd-56ef-123456567890 x",
                           "SessionToken\":AWS_SESSION_TOKEN_001 x");
  expect_masked_whole_once("aws_secret_access_key = ab+/1232abcd-12ab-34cd-56ef-123456567890\n",
                           "aws_secret_access_key = AWS_SECRET_KEY_001\n");
  // uuid-secret-value-glued: not when a word byte follows (the token would run into it).
  expect_masked_whole_once("SessionToken\":1234abcd-12ab-34cd-56ef-1234565786e90K x",
                           "SessionToken\":AWS_SESSION_TOKEN_001-12ab-34cd-56ef-1234565786e90K x");
}

// uuid-after-resource-id: "subnet-" + a UUID's first group is a subnet ID; the rest of the
// UUID was spared as a UUID tail and its 12 digits stayed in clear.
TEST(Account, UuidTailAfterADashedNameIsMasked) {
  expect_masked_whole_once("\"subnet-1237abbd-12ab-34cd-56ef-123456782600:x\"",
                           "\"AWS_SUBNET_001-12ab-34cd-56ef-AWS_ACCOUNT_001:x\"");
}

TEST(Secret, StsPrefixAloneIsASessionToken) {
  expect_masked_whole_once("tok IQoJb3JpZ2lu aws:", "tok AWS_SESSION_TOKEN_001 aws:");
  expect_masked_whole_once("X-Amz-Security-Token: FwoGZXIvYXdzEB/10.0.0.1",
                           "X-Amz-Security-Token: AWS_SESSION_TOKEN_001");
}

TEST(Secret, JsonMemberValueOfAnyLengthIsMaskedWhole) {
  mask_map map;
  std::string out;
  ASSERT_TRUE(mask_json(default_engine(),
                        R"({"SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAML//1f18::0",)"
                        R"("SessionToken":"AQoDYXdzEJr1","x":"short"})",
                        map, out));
  EXPECT_EQ(out,
            R"({"SecretAccessKey":"AWS_SECRET_KEY_001","SessionToken":"AWS_SESSION_TOKEN_001",)"
            R"("x":"short"})");
}

// Placeholders and tokens after a key name stay as they are (fewer than 8 base64 bytes,
// not base64, or a token already).
TEST(Secret, ShortPlaceholdersAndTokensAfterAKeyNameAreLeft) {
  for (std::string_view s :
       {"secret_access_key = short", "\"SecretAccessKey\": \"x\"", "aws_session_token=None",
        "aws_secret_access_key=<redacted>", "aws_secret_access_key=${AWS_SECRET}",
        "aws_secret_access_key=AWS_SECRET_KEY_001", "SessionToken: AWS_SESSION_TOKEN_012",
        "\"SecretAccessKey\": \"\"", "FwoGZXIvYXd...=="}) {
    mask_map map;
    EXPECT_EQ(mask_text(s, map), s);
    EXPECT_TRUE(map.empty()) << s;
  }
  mask_map map;
  std::string out;
  const std::string json = R"({"SecretAccessKey":"REDACT","SessionToken":"AWS_SESSION_TOKEN_001"})";
  ASSERT_TRUE(mask_json(default_engine(), json, map, out));
  EXPECT_EQ(out, json);
}

// account-tail-of-a-glued-uuid: 12 digits at the end of a UUID-shaped run were taken for
// a UUID's tail even when the "UUID" began inside an account before it; once that account
// was a token, masking again found the tail as an account. Only a standalone UUID's tail
// is exempt now.
TEST(Account, TailOfAUuidShapeGluedToAnAccountIsAnAccount) {
  expect_masked_whole_once("arn:aws:kam::123456789012-11ab-34cd-56ef-123456787890 x",
                           "arn:aws:kam::AWS_ACCOUNT_001-11ab-34cd-56ef-AWS_ACCOUNT_002 x");
  mask_map map;
  const std::string uuid = "id 550e8400-e29b-41d4-a716-446655440000 and 12345678-1234-1234-1234-123456789012";
  EXPECT_EQ(mask_text(uuid, map), uuid);
}

std::string restore_in_pieces(const mask_map& map, std::string_view in,
                              std::vector<std::size_t> cuts) {
  stream_restorer r(&map, restore_escape::none);
  std::string out;
  std::size_t at = 0;
  cuts.push_back(in.size());
  for (std::size_t cut : cuts) {
    r.feed(in.substr(at, cut - at), out);
    at = cut;
  }
  r.finish(out);
  return out;
}

// stream-restorer-token-after-A-split: a chunk ending in "AAW" was let through whole, so
// the "AWS_..." that its last two bytes began was never restored.
TEST(StreamRestorer, TokenAfterAnAWithTheSplitInsideItIsRestored) {
  mask_map map;
  map.token_for("EC2", "i-0123abcd");
  EXPECT_EQ(restore_in_pieces(map, "xAAWS_EC2_001y", {4}), "xAi-0123abcdy");
  EXPECT_EQ(restore_in_pieces(map, "AAW", {3}), "AAW");
}

// Streaming writes what restore_all writes, for every split point, and every pair of
// split points, of strings where a token follows 'A's or a broken "AWS_".
TEST(Property, StreamRestorerEqualsRestoreAllForEverySplit) {
  mask_map map;
  map.token_for("EC2", "i-0123abcd");
  map.token_for("VPC", "vpc-12345678");
  for (std::string_view s :
       {"AAWS_EC2_001", "AWAWS_VPC_001x", "AAAWS_EC2_001AWS_VPC_001", "AWSAWS_EC2_001A",
        "AWS_AWS_VPC_0011 AWS_EC2_001", "xAWAAWS_EC2_00AWS_VPC_001A", "AAW", "A"}) {
    const std::string whole = restore_text(s, map);
    for (std::size_t a = 0; a <= s.size(); ++a) {
      ASSERT_EQ(restore_in_pieces(map, s, {a}), whole) << s << " split at " << a;
      for (std::size_t b = a; b <= s.size(); ++b)
        ASSERT_EQ(restore_in_pieces(map, s, {a, b}), whole) << s << " split at " << a << "," << b;
    }
  }
}

}  // namespace
}  // namespace gh::aws_masker::test
