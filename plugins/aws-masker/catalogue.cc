#include "catalogue.h"

#include "mask_map.h"

#include <arpa/inet.h>
#include <hs/hs.h>

#include <algorithm>
#include <cstring>

namespace gh::aws_masker {
namespace {

constexpr unsigned kCaseless = HS_FLAG_CASELESS;

bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) noexcept { return is_alnum(c) || c == '_'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum_or_dash(char c) noexcept { return is_alnum(c) || c == '-'; }
bool is_host_char(char c) noexcept { return is_alnum(c) || c == '-' || c == '.' || c == '_'; }
bool is_bucket_char(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
}
bool is_b64(char c) noexcept { return is_alnum(c) || c == '/' || c == '+'; }
bool is_arn_char(char c) noexcept { return is_alnum(c) || std::strchr("_/:.+=@*$-", c) != nullptr; }
bool is_path_char(char c) noexcept { return is_alnum(c) || std::strchr("_./#-", c) != nullptr; }

char at(std::string_view t, std::size_t i) noexcept { return i < t.size() ? t[i] : '\0'; }
char before(std::string_view t, std::size_t i) noexcept { return i > 0 ? t[i - 1] : '\0'; }

// [s, e) is a whole word: not glued to word characters, nor after a dash (a dashed name).
bool stands_alone(std::string_view t, std::size_t s, std::size_t e) noexcept {
  return !is_word(before(t, s)) && before(t, s) != '-' && !is_word(at(t, e));
}

// A name (host, bucket) ends here when the next byte does not continue it; a dot
// followed by a name character continues it, a dot ending a sentence does not.
bool name_ends(std::string_view t, std::size_t e) noexcept {
  char c = at(t, e);
  if (is_alnum(c) || c == '-' || c == '_') return false;
  if (c == '.' && is_alnum(at(t, e + 1))) return false;
  return true;
}

std::size_t extend(std::string_view t, std::size_t i, bool (*pred)(char)) noexcept {
  while (i < t.size() && pred(t[i])) ++i;
  return i;
}

std::size_t trim_back(std::string_view t, std::size_t from, std::size_t e, const char* chars) {
  while (e > from && std::strchr(chars, t[e - 1]) != nullptr) --e;
  return e;
}

bool is_uuid(std::string_view u) noexcept {
  if (u.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? u[i] != '-' : !is_hex(u[i])) return false;
  }
  return true;
}

bool valid_bucket(std::string_view b) noexcept {
  if (b.size() < 3 || b.size() > 63) return false;
  if (!is_alnum(b.front()) || !is_alnum(b.back())) return false;
  return b.find("..") == std::string_view::npos;
}

bool check_ipv4(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  char p = before(t, s);
  if (is_word(p) || p == '-' || (p == '.' && is_digit(before(t, s - 1)))) return false;
  char n = at(t, e);
  if (is_word(n) || (n == '.' && is_digit(at(t, e + 1)))) return false;
  int oct[4] = {0, 0, 0, 0};
  int k = 0;
  int digits = 0;
  for (std::size_t i = s; i < e; ++i) {
    if (t[i] == '.') {
      if (digits == 0 || ++k > 3) return false;
      digits = 0;
      continue;
    }
    oct[k] = oct[k] * 10 + (t[i] - '0');
    if (++digits > 3 || oct[k] > 255) return false;
  }
  if (k != 3 || digits == 0) return false;
  // 0/8 (this network, 0.0.0.0), loopback, multicast, reserved and netmasks are not hosts.
  if (oct[0] == 0 || oct[0] == 127 || oct[0] >= 224) return false;
  bool priv = oct[0] == 10 || (oct[0] == 172 && oct[1] >= 16 && oct[1] <= 31) ||
              (oct[0] == 192 && oct[1] == 168) ||
              (oct[0] == 100 && oct[1] >= 64 && oct[1] <= 127) || (oct[0] == 169 && oct[1] == 254);
  r.from = s;
  r.to = e;
  if (priv) r.derived_type = "PRIVATE_IP";
  return true;
}

bool ipv6_ok(std::string_view cand) {
  if (cand.size() < 3 || cand.size() > 45) return false;
  // inet_pton accepts only 8 groups (7 colons), 6 groups before a dotted IPv4 (6 colons
  // and a dot) or a "::" compression: MAC addresses (5 colons), the usual trigger in
  // describe-instances output, are refused here without the call.
  int colons = 0;
  bool compressed = false, dotted = false;
  for (std::size_t i = 0; i < cand.size(); ++i) {
    if (cand[i] == ':') {
      ++colons;
      compressed = compressed || (i > 0 && cand[i - 1] == ':');
    }
    dotted = dotted || cand[i] == '.';
  }
  if (colons != 7 && !compressed && (colons != 6 || !dotted)) return false;
  char buf[46];
  std::memcpy(buf, cand.data(), cand.size());
  buf[cand.size()] = '\0';
  unsigned char out[16];
  if (inet_pton(AF_INET6, buf, out) != 1) return false;
  // Non-empty hex groups: "::", "::1", "a::b" (C++ scopes) are not addresses we mask;
  // two groups count only when one is long ("fe80::1").
  int groups = 0;
  std::size_t run = 0, longest = 0;
  for (char c : cand) {
    if (is_hex(c)) {
      if (run++ == 0) ++groups;
      longest = std::max(longest, run);
    } else {
      run = 0;
    }
  }
  static const unsigned char zero[16] = {};
  bool enough = groups >= 3 || (groups == 2 && longest >= 3);
  return enough && std::memcmp(out, zero, 16) != 0;
}

bool check_ipv6(std::string_view t, std::size_t s, std::size_t, check_result& r) {
  char p = before(t, s);
  if (is_word(p) || p == ':' || p == '.' || p == '-') return false;
  std::size_t e = extend(t, s, [](char c) { return is_hex(c) || c == ':' || c == '.'; });
  e = trim_back(t, s, e, ".");
  if (!ipv6_ok(t.substr(s, e - s))) {
    if (e - s > 2 && t[e - 1] == ':' && t[e - 2] != ':') --e;  // "2001:db8::1: up"
    if (!ipv6_ok(t.substr(s, e - s))) return false;
  }
  if (is_word(at(t, e))) return false;
  r.from = s;
  r.to = e;
  return true;
}

bool is_lower_alnum_or_dash(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || c == '-';
}

bool check_arn(std::string_view t, std::size_t s, std::size_t prefix_end, check_result& r) {
  if (is_word(before(t, s))) return false;
  std::size_t e = extend(t, prefix_end, is_arn_char);
  e = trim_back(t, prefix_end, e, ".:");
  if (e == prefix_end) return false;
  // arn:partition:service:region:account:resource
  std::string_view arn = t.substr(s, prefix_end - s);
  std::size_t c1 = arn.find(':');
  std::size_t c2 = arn.find(':', c1 + 1);
  std::size_t c3 = arn.find(':', c2 + 1);
  std::size_t c4 = arn.find(':', c3 + 1);
  std::string_view service = arn.substr(c2 + 1, c3 - c2 - 1);
  if (service == "s3" && c4 == c3 + 1 && prefix_end - s == c4 + 2) return false;  // bucket ARN
  std::string_view resource = t.substr(prefix_end, e - prefix_end);
  if (service == "iam" && resource.starts_with("role/")) r.derived_type = "IAM_ROLE";
  if (service == "iam" && resource.starts_with("user/")) r.derived_type = "IAM_USER";
  r.from = s;
  r.to = e;
  return true;
}

// After an explicit S3 prefix (s3://, a path-style host, an S3 ARN) the name-like run is a
// bucket reference even when it breaks the naming rules (`..`, over 63 characters, upper
// case or `_` as in legacy names): it is masked whole rather than rejected. Rejecting
// it left its head in clear beside whatever identifier the run held (an account, an IP),
// and once that was a token the shortened run was a valid bucket (fail towards masking;
// fuzz regression bucket-left-in-clear-beside-account). Only a run too short to be a
// bucket, or not starting like one, is not masked; such a run holds no identifier.
bool check_bucket_at(std::string_view t, std::size_t b, check_result& r) {
  if (!is_alnum(at(t, b)) || !is_bucket_char(t[b])) return false;
  std::size_t e = extend(t, b, is_host_char);
  e = trim_back(t, b, e, ".-");
  if (e - b < 3) return false;
  r.from = b;
  r.to = e;
  return true;
}

// `s` is at the ".s3" of a virtual-hosted S3 host: the bucket is the name before it.
bool check_bucket_before(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  if (!name_ends(t, e)) return false;
  std::size_t b = s;
  while (b > 0 && is_bucket_char(t[b - 1])) --b;
  if (is_host_char(before(t, b)) || !valid_bucket(t.substr(b, s - b))) return false;
  r.from = b;
  r.to = s;
  return true;
}

// `s` is at the ".rds.amazonaws.com"-style suffix: the host starts further left.
bool check_host_suffix(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  if (!name_ends(t, e)) return false;
  std::size_t b = s;
  while (b > 0 && (is_alnum(t[b - 1]) || t[b - 1] == '-' || t[b - 1] == '.')) --b;
  while (b < s && !is_alnum(t[b])) ++b;
  if (b == s || before(t, b) == '_') return false;
  r.from = b;
  r.to = e;
  return true;
}

bool starts_with_ci(std::string_view t, std::size_t i, std::string_view lower) noexcept {
  if (t.size() - i < lower.size()) return false;
  for (std::size_t k = 0; k < lower.size(); ++k) {
    char c = t[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[k]) return false;
  }
  return true;
}

// Four groups of 1-3 digits joined by dashes at `i` (an EC2 host name's address): their
// end, or 0.
std::size_t dashed_address_end(std::string_view t, std::size_t i) noexcept {
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (at(t, i) != '-') return 0;
      ++i;
    }
    const std::size_t g = i;
    while (i < t.size() && is_digit(t[i]) && i - g < 3) ++i;
    if (i == g) return 0;
  }
  return i;
}

// `e` is after an "ip-" anchor: four groups of 1-3 digits joined by dashes, then optionally
// ".ec2.internal" or ".<region>.compute.internal" (caseless), as the documented regex. Of
// the ends that regex allows, only those where the name ends are hosts, and the longest
// of them is the one precedence would keep.
bool check_ec2_private_host(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  if (is_host_char(before(t, s))) return false;
  const std::size_t i = dashed_address_end(t, e);
  if (i == 0) return false;
  std::size_t suffix = 0;
  if (starts_with_ci(t, i, ".ec2.internal")) {
    suffix = i + 13;
  } else if (at(t, i) == '.') {
    const std::size_t region = extend(t, i + 1, is_alnum_or_dash);
    if (region > i + 1 && starts_with_ci(t, region, ".compute.internal")) suffix = region + 17;
  }
  if (suffix != 0 && name_ends(t, suffix)) {
    r.to = suffix;
  } else if (name_ends(t, i)) {
    r.to = i;
  } else {
    return false;
  }
  r.from = s;
  return true;
}

// `e` is after an "ec2-" anchor (caseless): the rest of the documented regex
// ec2-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.(?:[a-z0-9-]+\.)?compute(?:-1)?\.amazonaws\.com(?:\.cn)?
// then what check::host asks. The optional label is the run before the next dot, so the
// regex has at most one way through; of its two ends (with and without ".cn") the shorter
// is followed by ".cn", where a name does not end, so only the longer can be a host.
bool check_ec2_public_host(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  if (is_host_char(before(t, s))) return false;
  std::size_t i = dashed_address_end(t, e);
  if (i == 0 || at(t, i) != '.') return false;
  auto compute_end = [&](std::size_t j) -> std::size_t {
    if (!starts_with_ci(t, j, "compute")) return 0;
    j += 7;
    if (starts_with_ci(t, j, "-1")) j += 2;
    return starts_with_ci(t, j, ".amazonaws.com") ? j + 14 : 0;
  };
  std::size_t end = compute_end(i + 1);
  if (end == 0) {
    const std::size_t label = extend(t, i + 1, is_alnum_or_dash);
    if (label == i + 1 || at(t, label) != '.') return false;
    end = compute_end(label + 1);
    if (end == 0) return false;
  }
  if (starts_with_ci(t, end, ".cn")) end += 3;
  if (!name_ends(t, end)) return false;
  r.from = s;
  r.to = end;
  return true;
}

// After a secret-key / session-token name or an STS token prefix, the whole run of
// base64-like bytes is the secret, whatever its length (fail towards masking, as for S3
// buckets): a run that was not exactly 40 characters stayed in clear, and once a host or
// IP next to it was a token, the token's "AWS" could complete a 40-character secret. `_`
// belongs to the run so that a token inside it is always wholly inside (masking again
// finds the token, never a head of the run that a token completed); `=` so that padding
// goes with its token. Runs shorter than kMinSecretRun ("short", "None", "x") are left:
// no real key or token is that short. A run that is itself a token is not masked again.
constexpr std::size_t kMinSecretRun = 8;

bool is_secret_char(char c) noexcept { return is_b64(c) || c == '=' || c == '_'; }

}  // namespace

std::size_t secret_run(std::string_view v) noexcept {
  const std::size_t e = extend(v, 0, is_secret_char);
  std::string_view type;
  unsigned long number = 0;
  if (e < kMinSecretRun || mask_map::parse_token(v.substr(0, e), type, number)) return 0;
  // A run that ends with a UUID's first group is taken to the UUID's end: the run stops at
  // the first dash, and the account check spares a UUID's 12-digit tail only while the
  // UUID stands whole, so masking up to the first group would leave that tail in clear
  // (fuzz_aws_masker: the UUID alone, or after a base64 byte such as '/'). Not when a word
  // byte follows the UUID, which the token would run into.
  if (e >= 8 && at(v, e) == '-' && is_uuid(v.substr(e - 8, 36)) && !is_word(at(v, e + 28)))
    return e + 28;
  return e;
}

namespace {

bool check_secret_run(std::string_view t, std::size_t v, check_result& r) {
  const std::size_t n = secret_run(t.substr(v));
  r.from = v;
  r.to = v + n;
  return n != 0;
}

bool check_kms(std::string_view t, std::size_t v, check_result& r) {
  std::size_t e = extend(t, v, is_alnum_or_dash);
  std::string_view val = t.substr(v, e - v);
  bool mrk = val.size() == 36 && val.starts_with("mrk-");
  if (!is_uuid(val) && !mrk) return false;
  r.from = v;
  r.to = e;
  return true;
}

bool check_upper_id(std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  if (is_word(before(t, s)) || is_word(at(t, e))) return false;
  int digits = 0;
  for (std::size_t i = s + 1; i < e; ++i) digits += is_digit(t[i]) ? 1 : 0;
  if (digits == 0 || digits == static_cast<int>(e - s - 1)) return false;
  r.from = s;
  r.to = e;
  return true;
}

bool check_path_tail(std::string_view t, std::size_t s, std::size_t prefix_end, check_result& r) {
  if (is_alnum(before(t, s))) return false;
  std::size_t e = extend(t, prefix_end, is_path_char);
  e = trim_back(t, prefix_end, e, "./");
  bool prefix_is_host = t[prefix_end - 1] != '/';
  if (!prefix_is_host && e == prefix_end) return false;
  if (prefix_is_host && e == prefix_end && !name_ends(t, e)) return false;
  r.from = s;
  r.to = e;
  return true;
}

pattern_def id(const char* type, const char* prefix) {
  return {type,  std::string(prefix) + "-(?:[0-9a-f]{17}|[0-9a-f]{8})",
          0,     check::resource_id,
          6,     scanner::resource_id,
          prefix};
}

pattern_def anchored(pattern_def p, std::vector<std::string> anchors, bool spaced = false) {
  p.anchors = std::move(anchors);
  p.spaced = spaced;
  return p;
}

}  // namespace

// The end of `arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:`
// at `s` (where "arn:aws" is), or 0. Each part ends at the next colon, so there is at most
// one end, and two anchors never share one (a prefix holds exactly five colons).
std::size_t arn_prefix_end(std::string_view t, std::size_t s) noexcept {
  std::size_t i = s + 7;
  for (std::string_view partition : {"-us-gov", "-iso-b", "-iso", "-cn"}) {
    if (t.substr(i).starts_with(partition) && at(t, i + partition.size()) == ':') {
      i += partition.size();
      break;
    }
  }
  if (at(t, i) != ':') return 0;
  const std::size_t service = i + 1;
  i = extend(t, service, is_lower_alnum_or_dash);
  if (i == service || at(t, i) != ':') return 0;
  i = extend(t, i + 1, is_lower_alnum_or_dash);  // region
  if (at(t, i) != ':') return 0;
  const std::size_t account = i + 1;  // 12 digits, "aws" or nothing, then a colon
  if (extend(t, account, is_digit) == account + 12 && at(t, account + 12) == ':')
    return account + 13;
  if (t.substr(account).starts_with("aws:")) return account + 4;
  return at(t, account) == ':' ? account + 1 : 0;
}

bool anchor_byte(unsigned char c, bool spaced) noexcept {
  if (is_alnum(static_cast<char>(c)) || c == '.' || c == ':' || c == '/' || c == '-') return true;
  if (!spaced) return false;
  return c == '_' || c == '"' || c == '\\' || c == '\'' || c == '=' || c == ' ' ||
         (c >= '\t' && c <= '\r');
}

const std::vector<pattern_def>& default_catalogue() {
  static const std::vector<pattern_def> cat = [] {
    std::vector<pattern_def> v = {
        id("EC2", "i"),
        id("AMI", "ami"),
        id("VOLUME", "vol"),
        id("SNAPSHOT", "snap"),
        id("VPC", "vpc"),
        id("SUBNET", "subnet"),
        id("SG", "sg"),
        id("SG_RULE", "sgr"),
        id("ENI", "eni"),
        id("ENI_ATTACH", "eni-attach"),
        id("IGW", "igw"),
        id("EIGW", "eigw"),
        id("NAT", "nat"),
        id("TGW", "tgw"),
        id("TGW_ATTACH", "tgw-attach"),
        id("TGW_RTB", "tgw-rtb"),
        id("RTB", "rtb"),
        id("RTB_ASSOC", "rtbassoc"),
        id("ACL", "acl"),
        id("ACL_ASSOC", "aclassoc"),
        id("VPCE", "vpce"),
        id("PCX", "pcx"),
        id("EIPALLOC", "eipalloc"),
        id("EIPASSOC", "eipassoc"),
        id("LAUNCH_TEMPLATE", "lt"),
        id("EFS", "fs"),
        id("EFS_MOUNT", "fsmt"),
        id("KEY_PAIR", "key"),
        id("VPN", "vpn"),
        id("VGW", "vgw"),
        id("CGW", "cgw"),
        id("DHCP_OPTIONS", "dopt"),
        id("RESERVATION", "r"),
        id("SPOT_REQUEST", "sir"),
        id("PREFIX_LIST", "pl"),
        // Defined as arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:
        // whose match the check extends over the resource part. Vectorscan only finds the
        // anchor and the check reads the prefix: as a regex with its start of match the
        // pattern cost Vectorscan ~9 us per 51 KB of output holding one ARN per instance.
        // The same is done for access keys (fixed length: the check reads the 16
        // characters after the prefix) and EC2 public host names.
        anchored({"ARN", "arn:aws", 0, check::arn, 5}, {"arn:aws"}),
        anchored({"BUCKET", R"(arn:aws(?:-cn|-us-gov)?:s3:::)", 0, check::s3_arn, 6}, {"arn:aws"}),
        anchored({"BUCKET", R"(s3[an]?://)", 0, check::bucket_after, 6}, {"://"}),
        anchored({"BUCKET", R"(s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?/)", 0,
                  check::bucket_after, 6},
                 {"amazonaws"}),
        anchored({"BUCKET", R"(\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?)", 0,
                  check::bucket_before, 6},
                 {"amazonaws"}),
        {"ACCOUNT", R"(\d{12})", 0, check::account, 1, scanner::account},
        // Defined as (?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}
        anchored({"ACCESS_KEY", "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA", 0,
                  check::access_key, 7},
                 {"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA",
                  "AROA", "ASCA"}),
        anchored({"SECRET_KEY", R"(secret_?access_?key\\?["']?\s*[:=]\s*\\?["']?)", kCaseless,
                  check::secret_value, 8},
                 {"secret"}, true),
        anchored({"SESSION_TOKEN", R"((?:session|security)[_-]?token\\?["']?\s*[:=]\s*\\?["']?)",
                  kCaseless, check::token_value, 8},
                 {"token"}, true),
        anchored({"SESSION_TOKEN", "FwoGZXIvYXdz|IQoJb3JpZ2lu", 0, check::token_prefix, 8},
                 {"FwoGZXIvYXdz", "IQoJb3JpZ2lu"}),
        anchored({"KMS_KEY", R"((?:kms_?)?key_?id\\?["']?\s*[:=]\s*\\?["']?)", kCaseless,
                  check::kms_value, 7},
                 {"keyid", "key_id"}, true),
        {"PUBLIC_IP", R"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})", 0, check::ipv4, 2, scanner::ipv4},
        {"IPV6", R"(::|[0-9a-f]{1,4}:[0-9a-f]{0,4}:)", kCaseless, check::ipv6, 2, scanner::ipv6},
        anchored(
            {"RDS_HOST", R"(\.rds\.amazonaws\.com(?:\.cn)?)", kCaseless, check::host_suffix, 4},
            {"amazonaws"}),
        anchored({"ELB_HOST", R"(\.elb\.(?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?)", kCaseless,
                  check::host_suffix, 4},
                 {"amazonaws"}),
        anchored({"APIGW_HOST", R"([a-z0-9]{10}\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)",
                  kCaseless, check::host, 4},
                 {"amazonaws"}),
        anchored({"CLOUDFRONT_HOST", R"(\.cloudfront\.net)", kCaseless, check::host_suffix, 4},
                 {"cloudfront"}),
        anchored(
            {"EKS_HOST", R"(\.eks\.amazonaws\.com(?:\.cn)?)", kCaseless, check::host_suffix, 4},
            {"amazonaws"}),
        anchored({"ELASTICACHE_HOST", R"(\.cache\.amazonaws\.com(?:\.cn)?)", kCaseless,
                  check::host_suffix, 4},
                 {"amazonaws"}),
        // Defined as (caseless)
        // ec2-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.(?:[a-z0-9-]+\.)?compute(?:-1)?\.amazonaws\.com(?:\.cn)?
        anchored({"EC2_HOST", "ec2-", kCaseless, check::ec2_public_host, 4}, {"ec2-"}),
        // Defined as
        // ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.ec2\.internal|\.[a-z0-9-]+\.compute\.internal)?
        // (caseless); Vectorscan only finds the anchor and the check reads the rest. As a full
        // regex it cost a fifth of all Vectorscan time on describe-instances output (every
        // digit of the last group reported an end, each with its start of match). Even the
        // bare anchor, a short caseless literal, cost about 1 of Vectorscan's ~7 us per
        // 43 KB, so the native scanner finds it at the dashes it visits anyway.
        {"EC2_PRIVATE_HOST", R"(ip-)", kCaseless, check::ec2_private_host, 4, scanner::ip_anchor},
        anchored({"ECR", R"(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)", kCaseless,
                  check::path_tail, 4},
                 {"amazonaws"}),
        anchored({"SQS_QUEUE", R"(https?://sqs\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/\d{12}/)",
                  kCaseless, check::path_tail, 4},
                 {"amazonaws"}),
        anchored({"LOG_GROUP", R"(/aws/[a-z0-9-]+/)", 0, check::path_tail, 3}, {"/aws/"}),
        {"ROUTE53_ZONE", R"(Z[0-9A-Z]{12,31})", 0, check::upper_id, 3, scanner::upper_id},
        {"CLOUDFRONT_ID", R"(E[0-9A-Z]{12,13})", 0, check::upper_id, 3, scanner::upper_id},
    };
    return v;
  }();
  return cat;
}

const std::vector<std::string>& derived_types() {
  static const std::vector<std::string> d = {"PRIVATE_IP", "IAM_ROLE", "IAM_USER"};
  return d;
}

bool apply_check(check kind, std::string_view t, std::size_t s, std::size_t e, check_result& r) {
  r.from = s;
  r.to = e;
  r.derived_type = {};
  switch (kind) {
    case check::none:
      return e > s;
    case check::resource_id:
      return stands_alone(t, s, e);
    case check::ipv4:
      return check_ipv4(t, s, e, r);
    case check::ipv6:
      return check_ipv6(t, s, e, r);
    case check::account: {
      char p = before(t, s);
      if (is_word(p) || (p == '.' && is_digit(before(t, s - 1)))) return false;
      // The tail of a UUID is not an account; the UUID must stand alone, else in
      // `123456789012-11ab-34cd-56ef-123456787890` the account ahead, once a token, would
      // leave a tail that is no longer in a UUID (found by fuzz_aws_masker).
      // Nor after a dash: a UUID glued to a dashed name ("subnet-1237abbd-12ab-...") may
      // lose its first group to a resource ID, and the tail must not stay in clear then.
      if (p == '-' && s >= 24 && is_uuid(t.substr(s - 24, 36)) && !is_word(before(t, s - 24)) &&
          before(t, s - 24) != '-')
        return false;
      char n = at(t, e);
      return !is_word(n) && !(n == '.' && is_digit(at(t, e + 1)));
    }
    case check::access_key: {
      const std::size_t end = s + 20;
      if (end > t.size()) return false;
      for (std::size_t i = e; i < end; ++i) {
        if (!is_digit(t[i]) && !(t[i] >= 'A' && t[i] <= 'Z')) return false;
      }
      r.to = end;
      return stands_alone(t, s, end);
    }
    case check::arn: {
      const std::size_t prefix_end = arn_prefix_end(t, s);
      return prefix_end != 0 && check_arn(t, s, prefix_end, r);
    }
    case check::s3_arn:
      return !is_word(before(t, s)) && check_bucket_at(t, e, r);
    case check::bucket_after:
      return !is_host_char(before(t, s)) && check_bucket_at(t, e, r);
    case check::bucket_before:
      return check_bucket_before(t, s, e, r);
    case check::host:
      return !is_host_char(before(t, s)) && name_ends(t, e);
    case check::host_suffix:
      return check_host_suffix(t, s, e, r);
    case check::ec2_public_host:
      return check_ec2_public_host(t, s, e, r);
    case check::ec2_private_host:
      return check_ec2_private_host(t, s, e, r);
    case check::secret_value:
    case check::token_value:
      return check_secret_run(t, e, r);
    case check::token_prefix:
      return !is_b64(before(t, s)) && check_secret_run(t, s, r);
    case check::kms_value:
      return check_kms(t, e, r);
    case check::upper_id:
      return check_upper_id(t, s, e, r);
    case check::path_tail:
      return check_path_tail(t, s, e, r);
  }
  return false;
}

}  // namespace gh::aws_masker
