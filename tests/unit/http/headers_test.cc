// gh::Headers: case-insensitive, order-preserving field list.
#include "core/headers.h"

#include <gtest/gtest.h>

namespace {

TEST(Headers, LookupIgnoresCaseAndKeepsOriginalName) {
  gh::Headers h;
  h.add("X-Api-Key", "k");
  EXPECT_EQ(h.get("x-api-key").value(), "k");
  EXPECT_EQ(h.begin()->name, "X-Api-Key");
  EXPECT_FALSE(h.get("x-api").has_value());
}

TEST(Headers, SetReplacesEveryFieldOfTheName) {
  gh::Headers h;
  h.add("A", "1");
  h.add("B", "x");
  h.add("a", "2");
  h.set("A", "3");
  EXPECT_EQ(h.count("a"), 1u);
  EXPECT_EQ(h.get("a").value(), "3");
  EXPECT_EQ(h.size(), 2u);
}

TEST(Headers, RemoveReturnsHowManyWentAndKeepsOrder) {
  gh::Headers h;
  h.add("A", "1");
  h.add("B", "2");
  h.add("a", "3");
  h.add("C", "4");
  EXPECT_EQ(h.remove("A"), 2u);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.begin()->name, "B");
  EXPECT_EQ(std::next(h.begin())->name, "C");
}

TEST(Headers, GetAllKeepsArrivalOrder) {
  gh::Headers h;
  h.add("Set-Cookie", "a");
  h.add("X", "y");
  h.add("set-cookie", "b");
  auto all = h.get_all("SET-COOKIE");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "a");
  EXPECT_EQ(all[1], "b");
}

}  // namespace
