#include "plugins/key-auth/form_args.h"

namespace gh::plugins::form_args {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls fn(raw_pair, raw_name, raw_value, has_value) for each '&'-separated pair.
template <class Fn>
void for_each_pair(std::string_view args, Fn&& fn) {
  std::size_t pos = 0;
  while (pos <= args.size()) {
    std::size_t amp = args.find('&', pos);
    if (amp == std::string_view::npos) amp = args.size();
    std::string_view pair = args.substr(pos, amp - pos);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        fn(pos, amp, pair, std::string_view{}, false);
      } else {
        fn(pos, amp, pair.substr(0, eq), pair.substr(eq + 1), true);
      }
    }
    pos = amp + 1;
  }
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<ArgValue> find_all(std::string_view args, std::string_view name) {
  std::vector<ArgValue> out;
  for_each_pair(args, [&](std::size_t, std::size_t, std::string_view n, std::string_view v, bool has_value) {
    if (url_decode(n) == name) out.push_back({url_decode(v), has_value});
  });
  return out;
}

std::string remove_all(std::string_view args, std::string_view name) {
  std::string out;
  for_each_pair(args, [&](std::size_t begin, std::size_t end, std::string_view n, std::string_view, bool) {
    if (url_decode(n) == name) return;
    if (!out.empty()) out += '&';
    out.append(args.substr(begin, end - begin));
  });
  return out;
}

}  // namespace gh::plugins::form_args
