#include "aws_samples.h"

#include <algorithm>
#include <cstdio>

#include "plugins/aws-masker/json_text.h"

namespace gh::aws_masker::testdata {
namespace {

struct rng {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  }
  std::string hex(int n) {
    static const char* h = "0123456789abcdef";
    std::string o;
    for (int i = 0; i < n; ++i) o += h[next() % 16];
    return o;
  }
  int range(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<uint32_t>(hi - lo + 1));
  }
};

}  // namespace

describe_output describe_instances(int instances, uint32_t seed) {
  rng r{seed};
  describe_output d;
  auto id = [&](const std::string& v) {
    d.identifiers.push_back(v);
    return v;
  };
  const std::string account = id("4" + std::to_string(10000000000ULL + r.next() % 89999999999ULL));
  const std::string vpc = id("vpc-" + r.hex(17));
  std::string& o = d.text;
  o += "{\n\"Reservations\": [\n";
  for (int i = 0; i < instances; ++i) {
    int a = r.range(0, 3), b = r.range(1, 254);
    std::string priv = "10.0." + std::to_string(a) + "." + std::to_string(b);
    int p1 = r.range(3, 54), p2 = r.range(1, 254), p3 = r.range(1, 254);
    std::string pub =
        "54." + std::to_string(p1) + "." + std::to_string(p2) + "." + std::to_string(p3);
    std::string subnet = "subnet-" + r.hex(17);
    char buf[4096];
    // Field order and names of `aws ec2 describe-instances --output json`, one member per
    // line without indentation (as after `jq -c '.' | jq .` with --indent 0): 40 instances
    // give the issue's ~42 KB request.
    std::snprintf(
        buf, sizeof buf,
        "{\n\"Groups\": [],\n\"Instances\": [\n{\n"
        "\"ImageId\": \"%s\",\n\"InstanceId\": \"%s\",\n\"InstanceType\": \"t3.large\",\n"
        "\"KeyName\": \"prod-ops\",\n\"LaunchTime\": \"2024-03-1%dT09:2%d:11+00:00\",\n"
        "\"Monitoring\": {\"State\": \"disabled\"},\n"
        "\"Placement\": {\"AvailabilityZone\": \"us-east-1a\", \"Tenancy\": \"default\"},\n"
        "\"PrivateDnsName\": \"%s\",\n\"PrivateIpAddress\": \"%s\",\n"
        "\"PublicIpAddress\": \"%s\",\n"
        "\"State\": {\"Code\": 16, \"Name\": \"running\"},\n"
        "\"SubnetId\": \"%s\",\n\"VpcId\": \"%s\",\n"
        "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\", \"Ebs\": {\"Status\": "
        "\"attached\", \"VolumeId\": \"%s\"}}],\n"
        "\"NetworkInterfaces\": [{\"MacAddress\": \"0e:%s:%s:%s:%s:%s\", \"NetworkInterfaceId\": "
        "\"%s\", \"OwnerId\": \"%s\"}],\n"
        "\"SecurityGroups\": [{\"GroupName\": \"web-tier\", \"GroupId\": \"%s\"}],\n"
        "\"Architecture\": \"x86_64\"\n"
        "}\n],\n\"OwnerId\": \"%s\"\n}%s\n",
        id("ami-" + r.hex(17)).c_str(), id("i-" + r.hex(17)).c_str(), i % 10, i % 10,
        id("ip-10-0-" + std::to_string(a) + "-" + std::to_string(b) + ".ec2.internal").c_str(),
        id(priv).c_str(), id(pub).c_str(), id(subnet).c_str(), vpc.c_str(),
        id("vol-" + r.hex(17)).c_str(), r.hex(2).c_str(), r.hex(2).c_str(), r.hex(2).c_str(),
        r.hex(2).c_str(), r.hex(2).c_str(), id("eni-" + r.hex(17)).c_str(), account.c_str(),
        id("sg-" + r.hex(17)).c_str(), account.c_str(), i + 1 < instances ? "," : "");
    o += buf;
  }
  o += "]\n}\n";
  return d;
}

std::string messages_request(std::string_view user_text) {
  std::string o =
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"messages\":[{\"role\":\"user\","
      "\"content\":\"";
  json_text::escape_append(
      "Here is the output of aws ec2 describe-instances. Which instances are public?\n\n", o);
  json_text::escape_append(user_text, o);
  o += "\"}]}";
  return o;
}

std::string sse_response(std::string_view text, std::size_t delta_size) {
  std::string o =
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":"
      "\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"usage\":"
      "{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":"
      "\"\"}}\n\n";
  for (std::size_t i = 0, n = 0; i < text.size(); i += n) {
    n = std::min(delta_size, text.size() - i);  // JSON strings hold whole characters
    while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
    o += "event: content_block_delta\ndata: "
         "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
         "\"text\":\"";
    json_text::escape_append(text.substr(i, n), o);
    o += "\"}}\n\n";
  }
  o += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
       "event: message_delta\ndata: "
       "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_"
       "tokens\":100}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  return o;
}

}  // namespace gh::aws_masker::testdata
