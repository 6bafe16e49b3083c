// The documented cases of the earlier Lua plugin (../shared/compat/aws-masker-mvp):
// every one that is a real AWS identifier is fully masked and exactly restored. The ones
// judged not to be identifiers on their own are listed below with the reason; each is
// also shown to be masked in the context that does identify it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "test_util.h"

namespace gh::aws_masker::test {
namespace {

namespace js = boost::json;

// Not identifiers by themselves (masking every such word would mask ordinary prose):
const std::map<std::string, std::string>& not_identifiers() {
  static const std::map<std::string, std::string> m = {
      // Bucket names alone are any lower-case hyphenated word; masked in s3://, S3 URLs, S3 ARNs.
      {"my-production-bucket", "bare bucket name"},
      {"application-logs-bucket", "bare bucket name"},
      {"company-data-bucket", "bare bucket name"},
      {"backup-bucket-prod", "bare bucket name"},
      {"my-test-bucket-2024", "bare bucket name"},
      {"my-application-logs", "bare bucket name"},
      // Resource names alone (RDS, ElastiCache, Glue, Redshift, EKS): masked inside their
      // hostnames and ARNs.
      {"prod-db-instance", "bare resource name"},
      {"aurora-prod-db-cluster", "bare resource name"},
      {"redis-cache-prod-001", "bare resource name"},
      {"redis-cluster-prod-001", "bare resource name"},
      {"redis-cluster-001", "bare resource name"},
      {"production-mysql-db", "bare resource name"},
      {"analytics-cluster", "bare resource name"},
      {"glue-job-process-data", "bare resource name"},
      {"glue-job-data-processor", "bare resource name"},
      {"my-cache-abcde-123", "bare resource name"},
      {"my-production-cluster", "bare resource name"},
      // A bare UUID is indistinguishable from a request id; masked in KMS ARNs / KeyId contexts.
      {"12345678-1234-1234-1234-123456789012", "bare UUID"},
      // Ten alphanumerics; masked in <id>.execute-api.<region>.amazonaws.com.
      {"a1b2c3d4e5", "bare API Gateway id"},
      // 40 base64 characters could be anything; masked after aws_secret_access_key /
      // SecretAccessKey.
      {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "secret key without context"},
      {"arn:aws:service:region:account:resource", "a placeholder, not an ARN (no account number)"},
      {"FwoGZXIvYXd...==", "a truncated placeholder"},
      {"nat-0123456789abcdef0123456789abcdef0", "33 hex digits: not a NAT gateway id format"},
  };
  return m;
}

// Inputs holding several identifiers (some not identifiers, see above).
const std::map<std::string, std::vector<std::string>>& composite() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"Deploy to arn:aws:iam::123456789012:role/MyRole with key AKIAIOSFODNN7EXAMPLE",
       {"arn:aws:iam::123456789012:role/MyRole", "AKIAIOSFODNN7EXAMPLE"}},
      {"EC2 i-1234567890abcdef0 at 10.0.1.100 in vpc-abcd1234",
       {"i-1234567890abcdef0", "10.0.1.100", "vpc-abcd1234"}},
      {"{\"role\": \"arn:aws:iam::123456789012:role/MyRole\", \"key\": \"AKIAIOSFODNN7EXAMPLE\"}",
       {"arn:aws:iam::123456789012:role/MyRole", "AKIAIOSFODNN7EXAMPLE"}},
      {"https://s3.amazonaws.com/my-bucket/arn:aws:iam::123456789012:role/MyRole",
       {"my-bucket", "arn:aws:iam::123456789012:role/MyRole"}},
      // subnet-0987654321 has 10 hex digits: not an id format (8 or 17), left as is.
      {"EC2 instance i-1234567890abcdef0 in subnet subnet-0987654321 with IP 10.0.1.100",
       {"i-1234567890abcdef0", "10.0.1.100"}},
  };
  return m;
}

std::vector<std::string> documented_inputs() {
  std::ifstream f(std::string(GATEHOUSE_SHARED_DIR) +
                  "/compat/aws-masker-mvp/samples_documented.json");
  std::string text((std::istreambuf_iterator<char>(f)), {});
  js::value doc = js::parse(text);
  std::vector<std::string> out;
  for (const auto& [name, set] : doc.at("sets").as_object()) {
    for (const char* list : {"cases", "passed", "failed"}) {
      const js::value* cases = set.as_object().if_contains(list);
      if (cases == nullptr) continue;
      for (const auto& c : cases->as_array()) {
        if (const js::value* in = c.as_object().if_contains("input"))
          out.emplace_back(in->as_string());
      }
    }
  }
  return out;
}

std::string mask_any(std::string_view in, mask_map& map) {
  std::string out;
  mask_body(default_engine(), in.starts_with("{") ? "application/json" : "text/plain", true, in,
            map, out);
  return out;
}

TEST(DocumentedSamples, EveryRealIdentifierIsFullyMaskedAndExactlyRestored) {
  std::vector<std::string> inputs = documented_inputs();
  ASSERT_GT(inputs.size(), 150u);
  const std::regex whole_token("AWS_[A-Z0-9_]+_[0-9]{3,}");
  int identifiers = 0;
  for (const std::string& in : inputs) {
    mask_map map;
    std::string masked = mask_any(in, map);
    std::string restored;
    stream_restorer::restore_all(map, restore_escape::json, masked, restored);
    EXPECT_EQ(restored, in);
    if (not_identifiers().contains(in)) {
      EXPECT_EQ(masked, in) << "judged not an identifier: " << not_identifiers().at(in);
      continue;
    }
    if (auto c = composite().find(in); c != composite().end()) {
      for (const std::string& id : c->second)
        EXPECT_EQ(masked.find(id), std::string::npos) << in << " -> " << masked;
      ++identifiers;
      continue;
    }
    if (in.starts_with("{")) continue;  // the JSON spec cases: see the test below
    EXPECT_TRUE(std::regex_match(masked, whole_token)) << in << " -> " << masked;
    ++identifiers;
  }
  EXPECT_GT(identifiers, 120);
}

TEST(DocumentedSamples, JsonSpecCasesMaskEveryIdentifierAndKeepTheStructure) {
  mask_map map;
  std::string in =
      "{\n  \"ec2\": \"i-1234567890abcdef0\",\n  \"s3\": \"s3://my-bucket-name\",\n  \"ip\": "
      "\"10.0.0.1\"\n}";
  std::string masked = mask_any(in, map);
  EXPECT_EQ(masked,
            "{\n  \"ec2\": \"AWS_EC2_001\",\n  \"s3\": \"s3://AWS_BUCKET_001\",\n  \"ip\": "
            "\"AWS_PRIVATE_IP_001\"\n}");
  mask_map m2;
  EXPECT_EQ(mask_any("{\"instances\": [\"i-1234567890abcdef0\", \"i-0987654321fedcba0\"]}", m2),
            "{\"instances\": [\"AWS_EC2_001\", \"AWS_EC2_002\"]}");
}

TEST(DocumentedSamples, NonIdentifiersAreMaskedInTheContextThatIdentifiesThem) {
  mask_map map;
  std::string in =
      "s3://my-production-bucket mydb.prod-db-instance.us-east-1.rds.amazonaws.com "
      "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012 "
      "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com "
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
      "redis-cache-prod-001.abc123.0001.use1.cache.amazonaws.com";
  std::string masked = mask_any(in, map);
  for (const char* v : {"my-production-bucket", "prod-db-instance", "12345678-1234", "a1b2c3d4e5",
                        "wJalrXUtnFEMI", "redis-cache-prod-001"}) {
    EXPECT_EQ(masked.find(v), std::string::npos) << v << " in " << masked;
  }
  EXPECT_EQ(restore_text(masked, map), in);
}

}  // namespace
}  // namespace gh::aws_masker::test
