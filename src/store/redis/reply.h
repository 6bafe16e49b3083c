// RESP values and wire encoding for the Gatehouse Redis client.
//
// `reply` is the client's own value type for what Redis answers (hiredis is used only as
// the RESP parser, see resp_reader); `command` is one request as a list of arguments,
// encoded as a RESP array of bulk strings. Redis error replies are values here
// (kind::error), not transport failures: the caller decides what an error reply means.
// Transport failures are error codes of redis::error_category().
#pragma once

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace gh::redis {

enum class errc {
  timeout = 1,   // no reply within the call's timeout
  disconnected,  // the connection dropped while the call was in flight
  unavailable,   // not connected and backing off before the next attempt
  protocol,      // the server sent bytes that are not RESP
  handshake,     // AUTH/SELECT/HELLO refused (wrong password, bad db, ...)
  no_master,     // Sentinel knows no master for sentinel_master
  redirections,  // Cluster: more MOVED/ASK than cluster_max_redirections
  cluster_down,  // Cluster: no node serves the slot
  closed,        // the client was shut down
  server_error,  // an error reply where the caller needed a value
  bad_reply,     // a reply of an unexpected shape
  cross_slot,    // Cluster: keys of one atomic call hash to different slots
};
const boost::system::error_category& error_category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

struct reply {
  enum class kind : uint8_t { nil, string, status, error, integer, array };
  kind type = kind::nil;
  int64_t integer = 0;
  std::string str;              // string, status and error
  std::vector<reply> elements;  // array

  bool is_nil() const noexcept { return type == kind::nil; }
  bool is_error() const noexcept { return type == kind::error; }
  bool is_array() const noexcept { return type == kind::array; }
  bool is_integer() const noexcept { return type == kind::integer; }
  bool is_string() const noexcept { return type == kind::string || type == kind::status; }
  // For error replies: does the message start with `prefix` (e.g. "MOVED", "NOSCRIPT")?
  bool error_is(std::string_view prefix) const noexcept {
    return type == kind::error && std::string_view(str).substr(0, prefix.size()) == prefix;
  }
};

// One request: its arguments, binary safe.
class command {
 public:
  command() = default;
  command(std::initializer_list<std::string_view> args);
  command& arg(std::string_view a);
  command& arg(int64_t n);
  const std::vector<std::string>& args() const noexcept { return args_; }
  bool empty() const noexcept { return args_.empty(); }
  // Appends the RESP encoding to `out`.
  void encode(std::string& out) const;

 private:
  std::vector<std::string> args_;
};

// Incremental RESP parser over hiredis's reader, producing `reply` trees.
class resp_reader {
 public:
  resp_reader();
  ~resp_reader();
  resp_reader(const resp_reader&) = delete;
  resp_reader& operator=(const resp_reader&) = delete;

  // False when the bytes are not RESP (the connection must be dropped).
  bool feed(const char* data, std::size_t n) noexcept;
  enum class status { ok, incomplete, error };
  // Next complete reply, if any.
  status next(reply& out) noexcept;

 private:
  redisReader* reader_;
};

}  // namespace gh::redis

namespace boost::system {
template <>
struct is_error_code_enum<gh::redis::errc> : std::true_type {};
}  // namespace boost::system
