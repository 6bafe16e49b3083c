// Deterministic AWS-shaped inputs shared by the aws-masker tests and benchmarks: the
// issue's reference payload (an Anthropic Messages request whose user content holds
// `aws ec2 describe-instances` output for 40 instances, ~42 KB, ~370 identifiers) and a
// streamed (SSE) Messages response. Same seed, same bytes, on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gh::aws_masker::testdata {

struct describe_output {
  std::string text;                      // the CLI's JSON output
  std::vector<std::string> identifiers;  // every identifier written into it
};

describe_output describe_instances(int instances, uint32_t seed = 42);
// {"model":...,"max_tokens":...,"messages":[{"role":"user","content":"<prompt><text>"}]}
std::string messages_request(std::string_view user_text);
// An Anthropic SSE stream whose text_delta events carry `text` in pieces of `delta_size`.
std::string sse_response(std::string_view text, std::size_t delta_size);

}  // namespace gh::aws_masker::testdata
