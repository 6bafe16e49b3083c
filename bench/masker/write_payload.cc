// Writes the reference aws-masker payload (an Anthropic Messages request holding
// `aws ec2 describe-instances` output for 40 instances) to stdout, for bench/run.sh.
#include "plugins/aws-masker/testdata/aws_samples.h"

#include <iostream>

int main() {
  using namespace gh::aws_masker::testdata;
  std::cout << messages_request(describe_instances(40).text);
  return 0;
}
