// Context::state: per-plugin request state, small ones in the context's own storage.
#include "plugin/context.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using gh::plugin::Context;
using gh::plugin::Plugin;

struct small_state {
  int hits = 0;
  std::string note;
};
struct big_state {
  std::array<char, 4096> bytes{};
};
// Records its destruction, to check that every state is destroyed exactly once.
struct tracked_state {
  std::vector<int>* log = nullptr;
  int id = 0;
  ~tracked_state() {
    if (log) log->push_back(id);
  }
};

const Plugin* owner(int i) { return reinterpret_cast<const Plugin*>(static_cast<std::uintptr_t>(0x1000 + i)); }

TEST(ContextState, SameOwnerGetsTheSameObjectAndOthersTheirOwn) {
  Context ctx;
  ctx.state<small_state>(owner(1)).hits = 3;
  ctx.state<small_state>(owner(2)).hits = 5;
  EXPECT_EQ(ctx.state<small_state>(owner(1)).hits, 3);
  EXPECT_EQ(ctx.find_state<small_state>(owner(2))->hits, 5);
  EXPECT_EQ(ctx.find_state<small_state>(owner(3)), nullptr);
}

TEST(ContextState, LargeStatesAndManyOwnersStillWork) {
  Context ctx;
  for (int i = 0; i < 20; ++i) ctx.state<big_state>(owner(i)).bytes[0] = static_cast<char>(i);
  for (int i = 0; i < 20; ++i) ctx.state<small_state>(owner(100 + i)).note.assign(100, 'n');
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(ctx.find_state<big_state>(owner(i))->bytes[0], static_cast<char>(i));
    EXPECT_EQ(ctx.find_state<small_state>(owner(100 + i))->note, std::string(100, 'n'));
  }
}

TEST(ContextState, EveryStateIsDestroyedOnceWithTheContextLastCreatedFirst) {
  std::vector<int> log;
  {
    Context ctx;
    auto track = [&](int i) {
      auto& s = ctx.state<tracked_state>(owner(i));
      s.log = &log;
      s.id = i;
    };
    for (int i = 0; i < 3; ++i) track(i);
    ctx.state<big_state>(owner(9));  // on the heap
    track(4);
    EXPECT_TRUE(log.empty());
  }
  EXPECT_EQ(log, (std::vector<int>{4, 2, 1, 0}));
}

}  // namespace
