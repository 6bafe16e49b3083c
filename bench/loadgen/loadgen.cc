// Open-loop HTTP/1.1 load generator for the fixed-rate part of bench/run.sh (scenario redis).
//
// Why not wrk or h2load: wrk is closed-loop (a slow answer delays the next request, so the
// load drops exactly when latency rises), wrk2 is not in Debian, and h2load paces each
// client with its own timer, which on a loaded machine drifts into bursts and times a request
// from when it was sent (coordinated omission). Here one schedule for the whole run says when
// request i is due: start + i / rate, evenly spaced. When it is due it goes out on an idle
// keep-alive connection (the one idle longest, so connections behind a per-connection load
// balancer share the load); when none is idle it waits in a backlog. Latency is measured
// from the *scheduled* time, as wrk2 does, so waiting for a connection or for the generator
// itself counts. Requests due during the warm-up are sent but not recorded. The send lag
// (scheduled -> written) is reported too: if its p99 is not small, the generator did not keep
// up and the figures say so.
//
// Requests still unanswered `--drain` seconds after the schedule ends are errors and enter
// the latency percentiles with their wait until then.
//
//   loadgen --rate R [--connections 50] [--duration 5] [--warmup 1] [--drain 2]
//           [--tick-us 100] [-H 'name: value']... http://127.0.0.1:PORT/path [URL...]
//
// Several URLs: connection i goes to URL i mod n, which is what a load balancer balancing
// per connection (round robin) does, without the balancer's hop and CPU on the load side.
//
// Prints a readable summary and one `result key=value ...` line (times in ms) for scripts.
// Single-threaded (one io_context); pin it with taskset. Exit status 0 unless it could not
// connect at all or the arguments are wrong.
#include <sys/prctl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using std::chrono::nanoseconds;

struct url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

struct options {
  double rate = 0;
  int connections = 50;
  double duration_s = 5;
  double warmup_s = 1;
  double drain_s = 2;
  nanoseconds tick{100'000};
  std::vector<url> targets;
  std::vector<std::string> headers;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "loadgen: %s\nusage: loadgen --rate R [--connections N] [--duration S] "
               "[--warmup S] [--drain S] [--tick-us U] [-H 'name: value']... "
               "http://HOST:PORT/PATH [URL...]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--rate") {
      o.rate = std::atof(value());
    } else if (a == "--connections" || a == "-c") {
      o.connections = std::atoi(value());
    } else if (a == "--duration" || a == "-d") {
      o.duration_s = std::atof(value());
    } else if (a == "--warmup") {
      o.warmup_s = std::atof(value());
    } else if (a == "--drain") {
      o.drain_s = std::atof(value());
    } else if (a == "--tick-us") {
      o.tick = nanoseconds(std::llround(std::atof(value()) * 1000));
    } else if (a == "-H" || a == "--header") {
      o.headers.emplace_back(value());
    } else if (a.starts_with("http://")) {
      std::string_view rest = a.substr(7);
      auto slash = rest.find('/');
      std::string_view hostport = rest.substr(0, slash);
      url u;
      u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
      auto colon = hostport.rfind(':');
      u.host = std::string(hostport.substr(0, colon));
      if (colon != std::string_view::npos) u.port = std::string(hostport.substr(colon + 1));
      o.targets.push_back(std::move(u));
    } else {
      usage("unknown argument");
    }
  }
  if (o.targets.empty()) usage("no http:// URL");
  if (o.rate <= 0 || o.connections <= 0 || o.duration_s <= 0 || o.warmup_s < 0) {
    usage("--rate, --connections and --duration must be positive");
  }
  return o;
}

// Where one response ends in `in`: its length once complete, 0 while incomplete, -1 when it
// cannot be framed (no Content-Length: the targets here always send one). Sets `status`.
long response_length(std::string_view in, int& status) {
  auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  std::string_view head = in.substr(0, head_end + 2);
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) return -1;
  status = std::atoi(std::string(head.substr(9, 3)).c_str());
  long body = -1;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, next - pos - 2);
    constexpr std::string_view name = "content-length:";
    if (line.size() > name.size() &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char x, char y) { return x == std::tolower(static_cast<unsigned char>(y)); })) {
      body = std::atol(std::string(line.substr(name.size())).c_str());
    }
    pos = next;
  }
  if (body < 0) return -1;
  const long total = static_cast<long>(head_end + 4) + body;
  return static_cast<long>(in.size()) >= total ? total : 0;
}

class load {
 public:
  load(asio::io_context& io, options o)
      : io_(io), opts_(std::move(o)), timer_(io), drain_timer_(io) {
    total_ = static_cast<uint64_t>(std::llround(opts_.rate * (opts_.warmup_s + opts_.duration_s)));
    first_recorded_ = static_cast<uint64_t>(std::llround(opts_.rate * opts_.warmup_s));
    latency_ns_.reserve(total_ - first_recorded_);
    lag_ns_.reserve(total_ - first_recorded_);
  }

  // Connects every connection (blocking, before the clock starts), then runs the schedule.
  bool start() {
    tcp::resolver resolver(io_);
    error_code ec;
    for (const auto& u : opts_.targets) {
      target t;
      t.endpoints = resolver.resolve(u.host, u.port, ec);
      if (ec) return false;
      t.request = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port + "\r\n";
      for (const auto& h : opts_.headers) t.request += h + "\r\n";
      t.request += "\r\n";
      targets_.push_back(std::move(t));
    }
    for (int i = 0; i < opts_.connections; ++i) {
      auto c = std::make_shared<conn>(io_, targets_[i % targets_.size()]);
      asio::connect(c->sock, c->to.endpoints, ec);
      if (ec) {
        std::fprintf(stderr, "loadgen: connect: %s\n", ec.message().c_str());
        return false;
      }
      c->sock.set_option(tcp::no_delay(true));
      conns_.push_back(c);
      read(c);
      idle_.push_back(c.get());
    }
    start_ = clock_type::now();
    tick();
    return true;
  }

  void report() const {
    auto sorted = [](std::vector<int64_t> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    const auto lat = sorted(latency_ns_);
    const auto lag = sorted(lag_ns_);
    auto pct = [](const std::vector<int64_t>& v, double p) {  // nearest rank, ms
      if (v.empty()) return std::nan("");
      auto rank = static_cast<std::size_t>(std::ceil(v.size() * p / 100.0));
      return v[std::max<std::size_t>(rank, 1) - 1] / 1e6;
    };
    const uint64_t errors = errors_ + timeouts_;
    const double achieved = completed_in_window_ / opts_.duration_s;
    std::printf("offered %.0f req/s, achieved %.0f req/s over %.1f s (warm-up %.1f s left out), "
                "%d connections\n",
                opts_.rate, achieved, opts_.duration_s, opts_.warmup_s, opts_.connections);
    std::printf("recorded %zu, errors %llu (of which unanswered at the end %llu)\n", lat.size(),
                static_cast<unsigned long long>(errors), static_cast<unsigned long long>(timeouts_));
    std::printf("latency from scheduled send (ms): p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f\n",
                pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), pct(lat, 100));
    std::printf("send lag, scheduled -> written (ms): p50 %.3f p99 %.3f max %.3f\n", pct(lag, 50),
                pct(lag, 99), pct(lag, 100));
    std::printf(
        "result count=%zu errors=%llu offered=%.0f achieved=%.0f p50=%.3f p90=%.3f p99=%.3f "
        "p999=%.3f max=%.3f lag_p99=%.3f\n",
        lat.size(), static_cast<unsigned long long>(errors), opts_.rate, achieved, pct(lat, 50),
        pct(lat, 90), pct(lat, 99), pct(lat, 99.9), pct(lat, 100), pct(lag, 99));
  }

 private:
  struct target {
    tcp::resolver::results_type endpoints;
    std::string request;
  };
  struct conn {
    conn(asio::io_context& io, const target& t) : sock(io), to(t) {}
    tcp::socket sock;
    const target& to;
    std::string in;
    char buf[16384];
    bool busy = false;
    time_point due;   // scheduled send time of the request in flight
    time_point sent;  // when it was written
  };

  time_point due(uint64_t i) const {
    return start_ + nanoseconds(std::llround(static_cast<double>(i) * 1e9 / opts_.rate));
  }
  time_point window_end() const { return due(total_); }

  // Sends every request that is due by now, then sleeps until the next one is, but at least
  // one tick (--tick-us): arming the timer is the generator's largest cost per wake-up (a
  // VM exit here), so above 1/tick req/s each wake-up sends the few requests due since the
  // last one. Their latency still counts from their own scheduled times.
  void tick() {
    const auto now = clock_type::now();
    while (next_ < total_ && due(next_) <= now) {
      const auto when = due(next_++);
      if (idle_.empty()) {
        backlog_.push_back(when);
      } else {
        conn* c = idle_.front();
        idle_.pop_front();
        send(c, when);
      }
    }
    if (next_ < total_) {
      timer_.expires_at(std::max(due(next_), now + opts_.tick));
      timer_.async_wait([this](error_code ec) {
        if (!ec) tick();
      });
      return;
    }
    drain_timer_.expires_at(window_end() + nanoseconds(std::llround(opts_.drain_s * 1e9)));
    drain_timer_.async_wait([this](error_code ec) {
      if (ec) return;
      finish();
    });
    maybe_finish();
  }

  bool recorded(time_point when) const { return when >= due(first_recorded_); }

  void send(conn* c, time_point when) {
    c->busy = true;
    c->due = when;
    c->sent = clock_type::now();
    ++in_flight_;
    asio::async_write(c->sock, asio::buffer(c->to.request), [](error_code, std::size_t) {
      // A failed write shows up as a failed read on the same socket.
    });
  }

  void read(const std::shared_ptr<conn>& c) {
    c->sock.async_read_some(asio::buffer(c->buf), [this, c](error_code ec, std::size_t n) {
      if (ec) {
        if (ec != asio::error::operation_aborted) fail(c);
        return;
      }
      c->in.append(c->buf, n);
      while (true) {
        int status = 0;
        long len = response_length(c->in, status);
        if (len == 0) break;
        if (len < 0 || !c->busy) {  // unframable, or an answer nobody asked for
          fail(c);
          return;
        }
        c->in.erase(0, static_cast<std::size_t>(len));
        complete(c.get(), status >= 200 && status < 300);
      }
      read(c);
    });
  }

  void complete(conn* c, bool ok) {
    const auto now = clock_type::now();
    c->busy = false;
    --in_flight_;
    if (recorded(c->due)) {
      if (ok) {
        latency_ns_.push_back((now - c->due).count());
        lag_ns_.push_back((c->sent - c->due).count());
      } else {
        ++errors_;
      }
    }
    if (now >= due(first_recorded_) && now < window_end()) ++completed_in_window_;
    release(c);
    maybe_finish();
  }

  // A broken connection: its request (if any) is an error; it reconnects and rejoins.
  void fail(const std::shared_ptr<conn>& c) {
    if (c->busy) {
      c->busy = false;
      --in_flight_;
      if (recorded(c->due)) ++errors_;
    }
    std::erase(idle_, c.get());
    error_code ignored;
    c->sock.close(ignored);
    c->in.clear();
    if (finished_) return;
    asio::async_connect(c->sock, c->to.endpoints, [this, c](error_code ec, const tcp::endpoint&) {
      if (ec || finished_) return;
      c->sock.set_option(tcp::no_delay(true));
      read(c);
      release(c.get());
    });
  }

  // A free connection takes the oldest overdue request, or waits for the next one.
  void release(conn* c) {
    if (!backlog_.empty()) {
      const auto when = backlog_.front();
      backlog_.pop_front();
      send(c, when);
    } else {
      idle_.push_back(c);
    }
  }

  void maybe_finish() {
    if (next_ == total_ && in_flight_ == 0 && backlog_.empty()) finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    // Whatever is still out or queued was never answered: an error, and in the percentiles
    // with its wait so far (a lower bound), so that a stall is not hidden by leaving out
    // exactly the requests it held up.
    const auto now = clock_type::now();
    auto unanswered = [&](time_point when) {
      if (!recorded(when)) return;
      ++timeouts_;
      latency_ns_.push_back((now - when).count());
    };
    for (const auto& c : conns_) {
      if (c->busy) unanswered(c->due);
    }
    for (auto when : backlog_) unanswered(when);
    io_.stop();
  }

  asio::io_context& io_;
  options opts_;
  asio::steady_timer timer_;
  asio::steady_timer drain_timer_;
  std::vector<target> targets_;  // fixed before the connections, which point into it
  std::vector<std::shared_ptr<conn>> conns_;
  std::deque<conn*> idle_;          // longest idle first
  std::deque<time_point> backlog_;  // due, no idle connection yet
  time_point start_;
  uint64_t total_ = 0;
  uint64_t first_recorded_ = 0;
  uint64_t next_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t errors_ = 0;
  uint64_t timeouts_ = 0;
  uint64_t completed_in_window_ = 0;
  bool finished_ = false;
  std::vector<int64_t> latency_ns_;
  std::vector<int64_t> lag_ns_;
};

}  // namespace

int main(int argc, char** argv) {
  options opts = parse_args(argc, argv);
  // The kernel may delay a timer wake-up by the thread's timer slack (50 µs by default): as
  // much as the spacing between requests at 20 000 req/s. 1 µs keeps the schedule even.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  asio::io_context io(1);
  load l(io, opts);
  if (!l.start()) {
    std::fprintf(stderr, "loadgen: cannot connect\n");
    return 1;
  }
  io.run();
  l.report();
  return 0;
}
