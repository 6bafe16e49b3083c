#include "events/tail.h"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <ctime>
#include <ostream>
#include <stdexcept>

#include "config/node_settings.h"
#include "events/pipeline.h"
#include "store/redis/client.h"
#include "store/redis/connections.h"

namespace gh::events {

namespace asio = boost::asio;
namespace json = boost::json;
using gh::redis::command;
using gh::redis::reply;

namespace {

std::string iso_time(std::string_view ms_text) {
  int64_t ms = 0;
  try {
    ms = std::stoll(std::string(ms_text));
  } catch (...) {
    return std::string(ms_text);
  }
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

void print_entry(const tail_options& o, const std::string& stream, const reply& entry,
                 std::ostream& out) {
  if (!entry.is_array() || entry.elements.size() < 2) return;
  const std::string& id = entry.elements[0].str;
  const reply& kv = entry.elements[1];
  if (o.json) {
    json::object fields;
    for (std::size_t i = 0; i + 1 < kv.elements.size(); i += 2) {
      fields[kv.elements[i].str] = kv.elements[i + 1].str;
    }
    json::object line{{"id", id}, {"stream", stream}, {"fields", std::move(fields)}};
    out << json::serialize(line) << "\n";
  } else {
    std::string type, ts, rest;
    for (std::size_t i = 0; i + 1 < kv.elements.size(); i += 2) {
      const std::string& k = kv.elements[i].str;
      const std::string& v = kv.elements[i + 1].str;
      if (k == "type") type = v;
      else if (k == "ts") ts = v;
      else rest += fmt::format(" {}={}", k, v);
    }
    out << (ts.empty() ? std::string("-") : iso_time(ts)) << "  " << (type.empty() ? "-" : type)
        << " " << rest << "  [" << id << "]\n";
  }
  out.flush();
}

struct tail_state {
  tail_options opts;
  gh::redis::redis_config cfg;
  std::ostream& out;
  std::ostream& err;
  std::shared_ptr<gh::redis::client> client;
  bool stop = false;
  int64_t printed = 0;
  int code = 0;
};

// Prints and acknowledges the entries of one XREADGROUP reply; returns how many.
asio::awaitable<std::size_t> handle(tail_state& st, const reply& r) {
  std::size_t n = 0;
  if (!r.is_array()) co_return 0;
  for (const auto& s : r.elements) {
    if (!s.is_array() || s.elements.size() < 2) continue;
    const std::string& stream = s.elements[0].str;
    for (const auto& entry : s.elements[1].elements) {
      if (st.stop) co_return n;
      print_entry(st.opts, stream, entry, st.out);
      ++n;
      ++st.printed;
      const command ack{"XACK", st.opts.stream, st.opts.group, entry.elements[0].str};
      (void)co_await st.client->exec(st.opts.stream, ack);
      if (st.opts.count > 0 && st.printed >= st.opts.count) {
        st.stop = true;
        co_return n;
      }
    }
  }
  co_return n;
}

asio::awaitable<void> follow(tail_state& st) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer pause(ex);
  const auto& o = st.opts;
  bool group_ready = false;
  bool pending_done = false;
  bool reported = false;
  while (!st.stop) {
    if (!group_ready) {
      const command create{"XGROUP", "CREATE", o.stream, o.group, o.new_only ? "$" : "0",
                           "MKSTREAM"};
      auto r = co_await st.client->exec(o.stream, create);
      if (r && (!r->is_error() || r->str.starts_with("BUSYGROUP"))) {
        group_ready = true;
      } else if (r) {
        st.err << "gatehouse events tail: " << r->str << "\n";
        st.code = 1;
        co_return;
      }
    }
    if (group_ready) {
      // Our own unacknowledged entries first (id 0), then new ones (>), blocking 1 s.
      command read{"XREADGROUP", "GROUP", o.group, o.consumer, "COUNT", "100"};
      if (pending_done) read.arg("BLOCK").arg(1000);
      read.arg("STREAMS").arg(o.stream).arg(pending_done ? ">" : "0");
      auto r = co_await st.client->exec(o.stream, read, st.cfg.timeout + std::chrono::milliseconds(1000));
      if (r && !r->is_error()) {
        reported = false;
        const std::size_t n = co_await handle(st, *r);
        if (!pending_done && n == 0) pending_done = true;
        continue;
      }
      if (r && r->is_error()) {
        if (r->str.starts_with("NOGROUP")) {  // the stream or group was deleted: recreate
          group_ready = false;
          continue;
        }
        st.err << "gatehouse events tail: " << r->str << "\n";
        st.code = 1;
        co_return;
      }
      if (!reported && !st.stop) {
        st.err << "gatehouse events tail: " << r.error().message() << " (retrying)\n";
        reported = true;
      }
    } else if (!reported && !st.stop) {
      st.err << "gatehouse events tail: cannot reach Redis (retrying)\n";
      reported = true;
    }
    pause.expires_after(std::chrono::milliseconds(500));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace

int run_tail(const tail_options& in, std::ostream& out, std::ostream& err) {
  tail_options o = in;
  json::object block;
  try {
    auto settings = gh::config::defaults();
    if (!o.settings_file.empty()) gh::config::load_settings_file(settings, o.settings_file);
    gh::redis::install(settings.redis_connections);
    const auto ev = parse_settings(settings.events);
    if (o.stream.empty()) o.stream = ev.stream;
    if (!o.redis.empty()) {
      const auto colon = o.redis.rfind(':');
      if (colon == std::string::npos) throw std::runtime_error("--redis: expected host:port");
      block["host"] = o.redis.substr(0, colon);
      block["port"] = std::stoi(o.redis.substr(colon + 1));
    } else if (!o.connection.empty()) {
      block["connection"] = o.connection;
    } else if (!ev.redis.empty()) {
      block = ev.redis;
    }
  } catch (const std::exception& e) {
    err << "gatehouse events tail: " << e.what() << "\n";
    return 2;
  }
  if (o.consumer.empty()) {
    char host[256] = {};
    o.consumer = gethostname(host, sizeof host - 1) == 0 && host[0] != 0 ? host : "tail";
  }

  asio::io_context io(1);
  gh::redis::redis_config cfg;
  try {
    cfg = gh::redis::resolve_installed(block);
  } catch (const std::exception& e) {
    err << "gatehouse events tail: " << e.what() << "\n";
    return 2;
  }
  // A private client: a blocking XREADGROUP must not stall a shared pipeline.
  tail_state st{o, cfg, out, err, gh::redis::make_client(io.get_executor(), cfg)};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    st.stop = true;
    st.client->close();
  });
  asio::co_spawn(io, follow(st), [&](std::exception_ptr e) {
    if (e) {
      err << "gatehouse events tail: unexpected error\n";
      st.code = 1;
    }
    signals.cancel();
    st.client->close();
  });
  io.run();
  return st.code;
}

}  // namespace gh::events
