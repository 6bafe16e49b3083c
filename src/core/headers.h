// An ordered, case-insensitive list of HTTP header fields.
//
// Used for requests and responses on both sides of the proxy and by every plugin. Lookups
// are linear: real messages carry a few dozen fields, and a flat vector beats a hash map
// at that size. Names keep the case the peer sent; comparison ignores it.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh {

// ASCII case-insensitive equality (header names). Inline: it is called for every field
// lookup, and most calls end at the length check.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z') return false;
  }
  return true;
}
std::string to_lower(std::string_view s);

// Optional whitespace in a field (RFC 9110 5.6.3): space or tab.
inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// A field value without its leading and trailing whitespace.
inline std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
  return v;
}

// The text of a header name or value. Up to `Inline` bytes live in the object itself, so
// the usual fields (names up to 32 bytes such as X-RateLimit-Remaining-Minute, values up to
// 48 such as a UUID) cost no allocation; longer text goes to the heap. Every proxied
// request adds and copies fields, and std::string's 15-byte small buffer made most of the
// plugins' fields allocate. Reads go through std::string_view.
template <std::size_t Inline>
class header_text {
 public:
  header_text() noexcept : size_(0) {}
  explicit header_text(std::string_view s) : size_(0) { assign(s); }
  header_text(const header_text& o) : size_(0) { assign(o.view()); }
  header_text(header_text&& o) noexcept : size_(0) { take(o); }
  header_text& operator=(const header_text& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  header_text& operator=(header_text&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~header_text() { release(); }

  // Small on purpose so that it inlines: a constant name's copy then compiles to a few
  // moves. Long text takes the out-of-line path.
  void assign(std::string_view s) {
    if (size_ <= Inline && s.size() <= Inline) [[likely]] {
      std::memmove(inline_, s.data(), s.size());  // `s` may view this object's own text
      size_ = s.size();
    } else {
      assign_long(s);
    }
  }

  static constexpr std::size_t inline_size = Inline;
  // Whether the text lives in the object: then all `Inline` bytes at data() may be read.
  bool is_inline() const noexcept { return size_ <= Inline; }
  const char* data() const noexcept { return size_ > Inline ? heap_ : inline_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  char operator[](std::size_t i) const noexcept { return data()[i]; }
  const char* begin() const noexcept { return data(); }
  const char* end() const noexcept { return data() + size_; }
  std::string_view view() const noexcept { return {data(), size_}; }
  operator std::string_view() const noexcept { return view(); }
  friend bool operator==(const header_text& a, std::string_view b) noexcept {
    return a.view() == b;
  }
  // Exact match for two texts: without it C++20 finds the operator above both ways round
  // (a reversed candidate) and clang warns the call is ambiguous.
  friend bool operator==(const header_text& a, const header_text& b) noexcept {
    return a.view() == b.view();
  }

 private:
  [[gnu::noinline]] void assign_long(std::string_view s) {
    if (size_ > Inline) {  // replacing long text (which `s` may view)
      header_text copy(s);
      *this = std::move(copy);
    } else {
      heap_ = new char[s.size()];
      std::memcpy(heap_, s.data(), s.size());
      size_ = s.size();
    }
  }
  void release() noexcept {
    if (size_ > Inline) delete[] heap_;
    size_ = 0;
  }
  void take(header_text& o) noexcept {
    // The whole union at a fixed size: a few register moves, whichever member is live.
    std::memcpy(inline_, o.inline_, sizeof inline_);
    size_ = o.size_;
    o.size_ = 0;
  }

  std::size_t size_;
  union {
    char inline_[Inline];  // Inline >= sizeof(char*): copying it copies heap_ too
    char* heap_;
  };
  static_assert(Inline >= sizeof(char*));
};

struct HeaderField {
  header_text<32> name;
  header_text<48> value;
};

class Headers {
 public:
  using iterator = std::vector<HeaderField>::iterator;
  using const_iterator = std::vector<HeaderField>::const_iterator;

  // The first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  std::size_t count(std::string_view name) const noexcept;
  // Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;

  // Replaces every field named `name` by one field with `value`.
  void set(std::string_view name, std::string_view value);
  // Appends a field, keeping any existing ones of the same name. Inline: plugins and the
  // proxy add fields with constant names (X-Consumer-ID, RateLimit-Limit, ...), whose
  // copies then compile to a few moves.
  void add(std::string_view name, std::string_view value) {
    if (fields_.size() == fields_.capacity()) grow();
    HeaderField& f = fields_.emplace_back();
    f.name.assign(name);
    f.value.assign(value);
  }
  // Removes the fields for which pred(field) is true, keeping the order of the rest.
  template <class Pred>
  std::size_t remove_if(Pred pred) {
    return std::erase_if(fields_, pred);
  }
  // Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);
  void clear() noexcept { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const_iterator begin() const noexcept { return fields_.begin(); }
  const_iterator end() const noexcept { return fields_.end(); }
  iterator begin() noexcept { return fields_.begin(); }
  iterator end() noexcept { return fields_.end(); }

 private:
  void grow();
  std::vector<HeaderField> fields_;
};

}  // namespace gh
