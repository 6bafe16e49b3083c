// Every catalogue type: positive examples, false-positive probes, overlap precedence.
#include <gtest/gtest.h>

#include "test_util.h"

namespace gh::aws_masker::test {
namespace {

struct positive {
  const char* text;
  const char* value;  // what must be replaced
  const char* type;
};

class CataloguePositive : public ::testing::TestWithParam<positive> {};

TEST_P(CataloguePositive, MasksTheIdentifierWithItsTypeAndRestoresIt) {
  const positive& p = GetParam();
  std::string text = std::string("before ") + p.text + " after";
  mask_map map;
  std::string masked = mask_text(text, map);
  EXPECT_EQ(masked.find(p.value), std::string::npos) << masked;
  const std::optional<std::string_view> token = map.token_of(p.value);
  ASSERT_TRUE(token.has_value()) << masked;
  EXPECT_EQ(*token, std::string("AWS_") + p.type + "_001") << masked;
  EXPECT_EQ(restore_text(masked, map), text);
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, CataloguePositive,
    ::testing::Values(
        positive{"i-1234567890abcdef0", "i-1234567890abcdef0", "EC2"},
        positive{"i-0a1b2c3d", "i-0a1b2c3d", "EC2"},
        positive{"ami-0abcdef1234567890", "ami-0abcdef1234567890", "AMI"},
        positive{"vol-12345678", "vol-12345678", "VOLUME"},
        positive{"snap-0123456789abcdef0", "snap-0123456789abcdef0", "SNAPSHOT"},
        positive{"vpc-abcd1234", "vpc-abcd1234", "VPC"},
        positive{"subnet-0123456789abcdef0", "subnet-0123456789abcdef0", "SUBNET"},
        positive{"sg-12345678", "sg-12345678", "SG"},
        positive{"eni-0123456789abcdef0", "eni-0123456789abcdef0", "ENI"},
        positive{"igw-12345678", "igw-12345678", "IGW"},
        positive{"nat-0123456789abcdef0", "nat-0123456789abcdef0", "NAT"},
        positive{"tgw-0123456789abcdef0", "tgw-0123456789abcdef0", "TGW"},
        positive{"tgw-attach-0123456789abcdef0", "tgw-attach-0123456789abcdef0", "TGW_ATTACH"},
        positive{"rtb-0123456789abcdef0", "rtb-0123456789abcdef0", "RTB"},
        positive{"acl-12345678", "acl-12345678", "ACL"},
        positive{"vpce-0123456789abcdef0", "vpce-0123456789abcdef0", "VPCE"},
        positive{"pcx-12345678", "pcx-12345678", "PCX"},
        positive{"eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef0", "EIPALLOC"},
        positive{"lt-0123456789abcdef0", "lt-0123456789abcdef0", "LAUNCH_TEMPLATE"},
        positive{"fs-12345678", "fs-12345678", "EFS"},
        positive{"key-0123456789abcdef0", "key-0123456789abcdef0", "KEY_PAIR"},
        positive{"arn:aws:lambda:us-east-1:123456789012:function:MyFunction",
                 "arn:aws:lambda:us-east-1:123456789012:function:MyFunction", "ARN"},
        positive{"arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0",
                 "arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0", "ARN"},
        positive{"arn:aws-us-gov:iam::123456789012:role/Deploy",
                 "arn:aws-us-gov:iam::123456789012:role/Deploy", "IAM_ROLE"},
        positive{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice",
                 "IAM_USER"},
        positive{"account 123456789012", "123456789012", "ACCOUNT"},
        positive{"AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "ACCESS_KEY"},
        positive{"ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "ACCESS_KEY"},
        positive{"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SECRET_KEY"},
        positive{"\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SECRET_KEY"},
        positive{"aws_session_token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
                 "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ", "SESSION_TOKEN"},
        positive{"FwoGZXIvYXdzEBaDOEXAMPLE", "FwoGZXIvYXdzEBaDOEXAMPLE", "SESSION_TOKEN"},
        positive{"\"KeyId\": \"1234abcd-12ab-34cd-56ef-1234567890ab\"",
                 "1234abcd-12ab-34cd-56ef-1234567890ab", "KMS_KEY"},
        positive{"10.0.1.100", "10.0.1.100", "PRIVATE_IP"},
        positive{"172.16.0.50", "172.16.0.50", "PRIVATE_IP"},
        positive{"192.168.1.100", "192.168.1.100", "PRIVATE_IP"},
        positive{"54.239.28.85", "54.239.28.85", "PUBLIC_IP"},
        positive{"2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334", "IPV6"},
        positive{"2600:1f18:1234:5600:abcd:ef01:2345:6789",
                 "2600:1f18:1234:5600:abcd:ef01:2345:6789", "IPV6"},
        positive{"s3://my-data-bucket/key.csv", "my-data-bucket", "BUCKET"},
        positive{"https://my-data-bucket.s3.us-west-2.amazonaws.com/a.txt", "my-data-bucket",
                 "BUCKET"},
        positive{"https://s3.us-west-2.amazonaws.com/my-data-bucket/a.txt", "my-data-bucket",
                 "BUCKET"},
        positive{"arn:aws:s3:::my-data-bucket/*", "my-data-bucket", "BUCKET"},
        positive{"mydb.c9akciq32.us-east-1.rds.amazonaws.com",
                 "mydb.c9akciq32.us-east-1.rds.amazonaws.com", "RDS_HOST"},
        positive{"my-lb-1234567890.us-east-1.elb.amazonaws.com",
                 "my-lb-1234567890.us-east-1.elb.amazonaws.com", "ELB_HOST"},
        positive{"a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                 "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "APIGW_HOST"},
        positive{"d111111abcdef8.cloudfront.net", "d111111abcdef8.cloudfront.net",
                 "CLOUDFRONT_HOST"},
        positive{"ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com",
                 "ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com", "EKS_HOST"},
        positive{"my-redis.abc123.0001.use1.cache.amazonaws.com",
                 "my-redis.abc123.0001.use1.cache.amazonaws.com", "ELASTICACHE_HOST"},
        positive{"ec2-54-12-34-56.compute-1.amazonaws.com",
                 "ec2-54-12-34-56.compute-1.amazonaws.com", "EC2_HOST"},
        positive{"ip-10-0-1-5.ec2.internal", "ip-10-0-1-5.ec2.internal", "EC2_PRIVATE_HOST"},
        positive{"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image",
                 "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image", "ECR"},
        positive{"https://sqs.us-east-1.amazonaws.com/123456789012/MyQueue",
                 "https://sqs.us-east-1.amazonaws.com/123456789012/MyQueue", "SQS_QUEUE"},
        positive{"/aws/lambda/my-function", "/aws/lambda/my-function", "LOG_GROUP"},
        positive{"Z1234567890ABC", "Z1234567890ABC", "ROUTE53_ZONE"},
        positive{"E1234567890ABC", "E1234567890ABC", "CLOUDFRONT_ID"}));

class FalsePositive : public ::testing::TestWithParam<const char*> {};

TEST_P(FalsePositive, IsLeftByteForByte) {
  mask_map map;
  std::string text = std::string("x ") + GetParam() + " y";
  EXPECT_EQ(mask_text(text, map), text);
  EXPECT_TRUE(map.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Probes, FalsePositive,
    ::testing::Values("msg-deadbeef", "vpc-lattice", "0.0.0.0", "120.0.6099.109", "999.1.1.1",
                      "1.2.3.4.5", "255.255.255.0", "127.0.0.1", "12:34:56", "10:30",
                      "2024-03-10T09:21:12+00:00", "550e8400-e29b-41d4-a716-446655440000",
                      "da39a3ee5e6b4b0d3255bfef95601890afd80709", "std::string", "a::b",
                      "0a:1b:2c:3d:4e:5f", "sg-1234567", "i-0123456789abcdef01", "my-sg-12345678x",
                      "x-i-12345678", "1234567890123", "v1.123456789012", "AKIAIOSFODNN7EXAMPL",
                      "AWS_EC2_001", "secret_access_key = short", "s3://ab", "EXAMPLEABCDEFG",
                      "ZZZZZZZZZZZZZZ", "s3://", "s3://...", "s3://a.-", "s3://{bucket}/key",
                      "s3://-x/key", "s3://AWS_BUCKET_001/key", "mys3://my-bucket"));

TEST(Overlap, ArnWinsOverTheAccountInsideIt) {
  mask_map map;
  EXPECT_EQ(mask_text("arn:aws:sns:us-east-1:123456789012:topic", map), "AWS_ARN_001");
  EXPECT_EQ(map.size(), 1u);
}

TEST(Overlap, LongestWinsAndNothingIsHalfMasked) {
  mask_map map;
  std::string masked =
      mask_text("arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", map);
  EXPECT_EQ(masked, "AWS_ARN_001");
}

TEST(Overlap, EqualLengthPrefersTheMoreSpecificType) {
  engine_options o;
  o.custom_patterns.push_back({"INTERNAL_ACCOUNT", "4[0-9]{11}"});
  mask_engine e(o);
  mask_map map;
  EXPECT_EQ(mask_text("id 412345678901 ok", map, e), "id AWS_INTERNAL_ACCOUNT_001 ok");
}

TEST(Numbering, PerTypeInOrderOfFirstAppearanceSameValueSameToken) {
  mask_map map;
  EXPECT_EQ(mask_text("i-11111111 10.0.0.1 i-22222222 i-11111111 10.0.0.2", map),
            "AWS_EC2_001 AWS_PRIVATE_IP_001 AWS_EC2_002 AWS_EC2_001 AWS_PRIVATE_IP_002");
}

TEST(Numbering, WidensPast999) {
  mask_map map;
  for (int i = 0; i < 999; ++i) map.token_for("EC2", "v" + std::to_string(i));
  EXPECT_EQ(map.token_for("EC2", "last"), "AWS_EC2_1000");
}

TEST(Numbering, LongTypesAndValuesKeepTheirPairsAsTheMapGrows) {
  // A type name longer than the prefix copy's 32 bytes, values of 100-400 bytes, and
  // enough pairs for the arena to grow several times under the earlier ones.
  mask_map map;
  const std::string long_type(40, 'T');
  std::vector<std::string> values, tokens;
  for (int i = 0; i < 300; ++i) {
    values.push_back(std::string(100 + i, static_cast<char>('a' + i % 26)) + std::to_string(i));
    tokens.emplace_back(map.token_for(i % 2 == 1 ? std::string_view(long_type) : "EC2", values[i]));
  }
  EXPECT_EQ(tokens[0], "AWS_EC2_001");
  EXPECT_EQ(tokens[1], "AWS_" + long_type + "_001");
  EXPECT_EQ(tokens[299], "AWS_" + long_type + "_150");
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(map.value_of(tokens[i]), values[i]) << i;
    EXPECT_EQ(map.token_of(values[i]), tokens[i]) << i;
  }
  EXPECT_EQ(map.max_token_length(), 4 + long_type.size() + 1 + 3);
}

TEST(Numbering, OnlyIssuedTokensLeadBackToTheirValuesBeforeAndAfterForeignPairs) {
  mask_map map;
  for (int i = 0; i < 1000; ++i) map.token_for("EC2", "i-" + std::to_string(i));
  map.token_for("PRIVATE_IP", "10.0.0.1");
  auto check = [&] {
    EXPECT_EQ(map.value_of("AWS_EC2_001"), "i-0");
    EXPECT_EQ(map.value_of("AWS_EC2_1000"), "i-999");
    EXPECT_EQ(map.value_of("AWS_PRIVATE_IP_001"), "10.0.0.1");
    for (const char* t :
         {"AWS_EC2_000", "AWS_EC2_1001", "AWS_EC2_0001", "AWS_EC2_01", "AWS_PRIVATE_IP_002",
          "AWS_VPC_001", "AWS_EC2_", "EC2_001", "AWS_ec2_001"})
      EXPECT_FALSE(map.value_of(t).has_value()) << t;
  };
  check();
  ASSERT_TRUE(map.insert("VPC", "AWS_VPC_007", "vpc-12345678"));  // from a store scope
  check();
  EXPECT_EQ(map.value_of("AWS_VPC_007"), "vpc-12345678");
  EXPECT_EQ(map.token_for("VPC", "vpc-87654321"), "AWS_VPC_008");
  EXPECT_EQ(map.value_of("AWS_VPC_008"), "vpc-87654321");
}

TEST(Config, AllowListedValuesAndDisabledTypesStay) {
  engine_options o;
  o.allow_list = {"i-11111111"};
  o.disabled_types = {"PUBLIC_IP"};
  mask_engine e(o);
  mask_map map;
  EXPECT_EQ(mask_text("i-11111111 i-22222222 54.1.2.3 10.0.0.1", map, e),
            "i-11111111 AWS_EC2_001 54.1.2.3 AWS_PRIVATE_IP_001");
}

TEST(Config, DisablingArnLetsTheAccountInsideBeMasked) {
  engine_options o;
  o.disabled_types = {"ARN"};
  mask_engine e(o);
  mask_map map;
  EXPECT_EQ(mask_text("arn:aws:sns:us-east-1:123456789012:t", map, e),
            "arn:aws:sns:us-east-1:AWS_ACCOUNT_001:t");
}

TEST(Config, InvalidCustomPatternIsRejectedAtBuildTime) {
  engine_options o;
  o.custom_patterns.push_back({"BAD", "(unclosed"});
  EXPECT_THROW(mask_engine{o}, std::runtime_error);
}

}  // namespace
}  // namespace gh::aws_masker::test
