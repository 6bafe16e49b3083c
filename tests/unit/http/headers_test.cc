// gh::Headers: case-insensitive, order-preserving field list.
#include "core/headers.h"

#include <gtest/gtest.h>

#include <string>

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

namespace {

// Fields up to the inline size and beyond it behave alike: the storage is invisible.
TEST(HeaderText, ShortAndLongTextSurviveCopyMoveAndVectorGrowth) {
  const std::string long_value(300, 'v');
  gh::Headers h;
  h.add("X-Credential-Identifier", "123e4567-e89b-12d3-a456-426614174000");
  h.add("X-A-Very-Long-Header-Name-Beyond-Thirty-Two-Bytes", long_value);
  for (int i = 0; i < 40; ++i) h.add("X-" + std::to_string(i), std::to_string(i));  // grows
  gh::Headers copy = h;
  gh::Headers moved = std::move(h);
  for (const gh::Headers* x : {&copy, &moved}) {
    EXPECT_EQ(x->get("x-credential-identifier").value(), "123e4567-e89b-12d3-a456-426614174000");
    EXPECT_EQ(x->get("x-a-very-long-header-name-beyond-thirty-two-bytes").value(), long_value);
    EXPECT_EQ(x->get("x-39").value(), "39");
    EXPECT_EQ(x->size(), 42u);
  }
}

TEST(HeaderText, SetAcceptsAViewOfItsOwnValueAndSwitchesBetweenShortAndLong) {
  gh::Headers h;
  h.add("A", std::string(100, 'x'));
  h.set("A", h.get("A")->substr(0, 60));  // long -> long, from its own text
  EXPECT_EQ(h.get("A").value(), std::string(60, 'x'));
  h.set("A", h.get("A")->substr(50));  // long -> short, from its own text
  EXPECT_EQ(h.get("A").value(), std::string(10, 'x'));
  h.set("A", h.get("A")->substr(2));  // short -> short, overlapping
  EXPECT_EQ(h.get("A").value(), std::string(8, 'x'));
  h.set("A", std::string(70, 'y'));  // short -> long
  EXPECT_EQ(h.get("A").value(), std::string(70, 'y'));
}

}  // namespace
