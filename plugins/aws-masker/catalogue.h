// The default catalogue of AWS identifiers that aws-masker finds, and the checks that
// decide, in C++, what a regular expression alone cannot (word boundaries, IPv4 octet
// ranges, version strings, IPv6 validity, where a secret value starts and ends).
//
// Each entry is one Vectorscan expression. Many expressions only match an anchor (the
// "arn:aws:svc:region:acct:" prefix, a key name such as aws_secret_access_key=) and the
// check extends the match over the value in C++: Vectorscan then reports one match per
// identifier instead of one per byte. Used by mask_engine (compiled once per config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh::aws_masker {

// How a raw Vectorscan match [from, to) becomes a candidate (or is rejected).
enum class check : uint8_t {
  none,              // custom pattern: taken as matched
  resource_id,       // i-0123abcd: not glued to other word characters
  ipv4,              // octets <= 255, not part of a version string, private/public split
  ipv6,              // trigger; extends over [0-9a-f:.] and validates with inet_pton
  account,           // 12 digits standing alone
  access_key,        // "AKIA"-style prefix; 16 [A-Z0-9] follow, the 20 not glued to a word
  arn,               // "arn:aws" anchor; reads partition, service, region and account, then
                     // extends over the resource part
  s3_arn,            // "arn:aws:s3:::" prefix; the bucket follows
  bucket_after,      // "s3://" or path-style host + "/" prefix; the bucket follows
  bucket_before,     // ".s3...amazonaws.com" of a virtual-hosted URL; the bucket is before it
  host,              // a whole AWS hostname
  ec2_public_host,   // "ec2-" anchor; extends over ec2-A-B-C-D.[region.]compute[-1].amazonaws.com
  ec2_private_host,  // "ip-" prefix; extends over
                     // ip-A-B-C-D[.ec2.internal|.<region>.compute.internal]
  host_suffix,       // ".rds.amazonaws.com"-style suffix; the host extends to the left
  secret_value,      // key-name prefix; a secret access key follows (the whole base64-like run)
  token_value,       // key-name prefix; a session token follows
  token_prefix,      // a session token recognised by its own first bytes
  kms_value,         // key-name prefix; a key UUID follows
  upper_id,          // Route 53 zone / CloudFront distribution style IDs
  path_tail,         // prefix; extends over a path (log groups, SQS URLs, ECR repos)
};

// Who finds the raw matches of a pattern. Patterns made of character classes only
// (resource IDs' hex tails, 12-digit accounts, IPv4/IPv6, the upper-case Route 53 and
// CloudFront IDs) keep a Vectorscan automaton busy on almost every byte of typical AWS
// output (5x the cost of all other patterns together; the two upper-case IDs alone were
// 38 % of what remained); native_scan.h finds exactly the raw matches their checks can accept, with
// memchr and a SIMD digit bitmap, and `regex` stays their documented definition.
enum class scanner : uint8_t {
  vectorscan,
  resource_id,  // "<prefix>-" + 8 or 17 lowercase hex (prefix in `literal`)
  account,      // a run of exactly 12 digits
  ipv4,         // four runs of 1-3 digits joined by single dots
  ipv6,         // "::" or hex{1,4}:hex{0,4}: at the start of a [0-9A-Za-z_:.-] run
  upper_id,     // L[0-9A-Z]{min,max} (regex of exactly that shape) forming a whole word
  ip_anchor,    // "ip-" in any case, where a digit follows (all check::ec2_private_host takes)
};

struct pattern_def {
  pattern_def(std::string type_, std::string regex_, unsigned hs_flags_, check kind_,
              int specificity_, scanner scan_ = scanner::vectorscan, std::string literal_ = {})
      : type(std::move(type_)),
        regex(std::move(regex_)),
        hs_flags(hs_flags_),
        kind(kind_),
        specificity(specificity_),
        scan(scan_),
        literal(std::move(literal_)) {}
  std::string type;   // token type, e.g. "EC2" -> AWS_EC2_001
  std::string regex;  // Vectorscan syntax
  unsigned hs_flags;  // extra flags (HS_FLAG_CASELESS...)
  check kind;
  int specificity;  // breaks ties between equally long overlapping matches
  scanner scan;
  std::string literal;  // scanner::resource_id: the prefix before the dash ("eni-attach")
  // scanner::vectorscan: literals one of which every match holds, found first (in the
  // pattern's case mode) so that Vectorscan only reads the text around them (mask_engine).
  std::vector<std::string> anchors;
  // A match may hold `_`, quotes, a backslash, `=` or white space (the key-name
  // patterns); otherwise it holds only [0-9A-Za-z.:/-] (see anchor_byte).
  bool spaced = false;
};

// The bytes a match of a built-in Vectorscan pattern can hold: [0-9A-Za-z.:/-], and with
// `spaced` also `_`, quotes, a backslash, `=` and white space. Vectorscan reads the run of
// such bytes around each anchor found, which holds every match built on that anchor.
bool anchor_byte(unsigned char c, bool spaced) noexcept;

// The built-in catalogue, in documentation order.
const std::vector<pattern_def>& default_catalogue();

// Types a check may switch to (ipv4 -> PRIVATE_IP, arn -> IAM_ROLE...): every one of them
// must exist in the engine's type table even when no expression names it directly.
const std::vector<std::string>& derived_types();

// Applies `kind` to a raw match. May move `from`/`to` (extension, extraction) and
// replace `type` (by name, through `derived`). Returns false to drop the match.
struct check_result {
  std::size_t from = 0;
  std::size_t to = 0;
  std::string_view derived_type;  // empty: keep the pattern's type
};
// Where a key name or JSON member says a secret key / session token follows at the start
// of `v`: the length of that value, the whole run of base64-like bytes (`_` and `=`
// included) whatever its length, or 0 when the run is shorter than 8 or is a token.
std::size_t secret_run(std::string_view v) noexcept;

bool apply_check(check kind, std::string_view text, std::size_t from, std::size_t to,
                 check_result& out);

// The end of an ARN's prefix (through the colon after the account) when "arn:aws" is at
// `s`, or 0: what the ARN pattern's documented regex matched (check::arn reads it).
std::size_t arn_prefix_end(std::string_view t, std::size_t s) noexcept;

}  // namespace gh::aws_masker
