#include "store/redis/reply.h"

#include <hiredis/read.h>

#include <charconv>
#include <memory>

namespace gh::redis {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout:
        return "redis: timeout";
      case errc::disconnected:
        return "redis: connection lost";
      case errc::unavailable:
        return "redis: unavailable (reconnecting)";
      case errc::protocol:
        return "redis: protocol error";
      case errc::handshake:
        return "redis: handshake refused (AUTH/SELECT)";
      case errc::no_master:
        return "redis: sentinel knows no master";
      case errc::redirections:
        return "redis: too many cluster redirections";
      case errc::cluster_down:
        return "redis: no cluster node serves the slot";
      case errc::closed:
        return "redis: client closed";
      case errc::server_error:
        return "redis: error reply";
      case errc::bad_reply:
        return "redis: unexpected reply";
      case errc::cross_slot:
        return "redis: keys hash to different cluster slots";
    }
    return "redis: unknown error";
  }
};

// hiredis reply-object callbacks building gh::redis::reply in place. The root is heap
// allocated; every nested value lives inside its parent's (pre-sized) elements vector, so
// only the root is ever freed (hiredis frees only the root, too).
reply* slot_for(const redisReadTask* task) {
  if (task->parent == nullptr) return new (std::nothrow) reply();
  auto* parent = static_cast<reply*>(task->parent->obj);
  return &parent->elements[static_cast<std::size_t>(task->idx)];
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  reply* r = slot_for(task);
  if (r == nullptr) return nullptr;
  r->type = task->type == REDIS_REPLY_ERROR    ? reply::kind::error
            : task->type == REDIS_REPLY_STATUS ? reply::kind::status
                                               : reply::kind::string;
  r->str.assign(str, len);
  return r;
}
void* create_array(const redisReadTask* task, int elements) {
  reply* r = slot_for(task);
  if (r == nullptr) return nullptr;
  r->type = reply::kind::array;
  r->elements.resize(elements > 0 ? static_cast<std::size_t>(elements) : 0);
  return r;
}
void* create_integer(const redisReadTask* task, long long value) {
  reply* r = slot_for(task);
  if (r == nullptr) return nullptr;
  r->type = reply::kind::integer;
  r->integer = value;
  return r;
}
void* create_nil(const redisReadTask* task) {
  reply* r = slot_for(task);
  if (r == nullptr) return nullptr;
  r->type = reply::kind::nil;
  return r;
}
void free_object(void* obj) { delete static_cast<reply*>(obj); }

redisReplyObjectFunctions reply_functions = {create_string, create_array, create_integer,
                                             create_nil, free_object};

void append_bulk(std::string& out, std::string_view s) {
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof len, s.size());
  out.push_back('$');
  out.append(len, end);
  out.append("\r\n");
  out.append(s);
  out.append("\r\n");
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category c;
  return c;
}

command::command(std::initializer_list<std::string_view> args) {
  args_.reserve(args.size());
  for (auto a : args) args_.emplace_back(a);
}
command& command::arg(std::string_view a) {
  args_.emplace_back(a);
  return *this;
}
command& command::arg(int64_t n) {
  args_.push_back(std::to_string(n));
  return *this;
}
void command::encode(std::string& out) const {
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof len, args_.size());
  out.push_back('*');
  out.append(len, end);
  out.append("\r\n");
  for (const auto& a : args_) append_bulk(out, a);
}

resp_reader::resp_reader() : reader_(redisReaderCreateWithFunctions(&reply_functions)) {}
resp_reader::~resp_reader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}
bool resp_reader::feed(const char* data, std::size_t n) noexcept {
  return reader_ != nullptr && redisReaderFeed(reader_, data, n) == REDIS_OK;
}
resp_reader::status resp_reader::next(reply& out) noexcept {
  if (reader_ == nullptr) return status::error;
  void* obj = nullptr;
  if (redisReaderGetReply(reader_, &obj) != REDIS_OK) return status::error;
  if (obj == nullptr) return status::incomplete;
  std::unique_ptr<reply> root(static_cast<reply*>(obj));
  out = std::move(*root);
  return status::ok;
}

}  // namespace gh::redis
