// No input crashes the loader or makes it throw: truncated and mutated Kong examples,
// random bytes, deep nesting, alias bombs. Each must come back as a result (with errors
// where the input is wrong).
#include "config/declarative_loader.h"
#include "test_factories.h"

#include <gtest/gtest.h>

#include <random>

namespace gh::config {
namespace {

const plugin::Registry& registry() {
  static const plugin::Registry r = testing::example_registry();
  return r;
}

const char* example_files[] = {
    "01-config-init-template.yml",        "02-cmd-config-db-import.yml",
    "03-dbless-upstream-passive-healthchecks.yml", "04-dbless-keyauth-consumer-with-ids.yml",
    "05-reload-keyauth-regression-5705.yml", "06-reload-upstream-target.yml",
    "07-flatten-targets-toplevel.yml",    "08-flatten-jwt-secrets-rs256.yml"};

TEST(DeclarativeFuzz, TruncatedExamplesNeverThrow) {
  for (const char* file : example_files) {
    std::string text = testing::read_file(testing::example_path(file));
    ASSERT_FALSE(text.empty()) << file;
    for (std::size_t cut = 0; cut < text.size(); cut += 7)
      EXPECT_NO_THROW(load_declarative(std::string_view(text).substr(0, cut), file, registry()));
  }
}

TEST(DeclarativeFuzz, MutatedExamplesNeverThrow) {
  std::mt19937 rng(12345);
  const std::string junk = std::string(":-[]{}\"'#&*!|>%@`,?\n \t0123456789.~") + '\x01' + '\xff';
  for (const char* file : example_files) {
    std::string text = testing::read_file(testing::example_path(file));
    for (int round = 0; round < 150; ++round) {
      std::string m = text;
      int edits = 1 + static_cast<int>(rng() % 6);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        std::size_t at = rng() % m.size();
        switch (rng() % 3) {
          case 0: m[at] = junk[rng() % junk.size()]; break;
          case 1: m.erase(at, 1 + rng() % 12); break;
          default: m.insert(at, 1, junk[rng() % junk.size()]); break;
        }
      }
      EXPECT_NO_THROW(load_declarative(m, file, registry()));
    }
  }
}

TEST(DeclarativeFuzz, RandomBytesAreRefusedWithErrors) {
  std::mt19937 rng(777);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(1 + rng() % 400, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() % 256);
    load_result r;
    ASSERT_NO_THROW(r = load_declarative(bytes, "junk", registry()));
    EXPECT_FALSE(r.ok());
  }
}

TEST(DeclarativeFuzz, WrongTypesEverywhereBecomeErrors) {
  const char* values[] = {"1", "-1", "1.5", "true", "null", "\"s\"", "[]", "[1, [2]]", "{}",
                          "{a: {b: c}}", "99999999999999999999999", "-9e999", ".inf", ".nan"};
  const char* fields[] = {"name", "host", "port", "path", "retries", "routes", "plugins",
                          "tags", "url", "protocol", "enabled", "id"};
  for (const char* f : fields) {
    for (const char* v : values) {
      std::string text = std::string("_format_version: \"3.0\"\nservices:\n- {name: s, host: h, ") +
                         f + ": " + v + "}\nroutes:\n- {paths: " + v + ", hosts: " + v +
                         ", headers: " + v + ", service: " + v + "}\nupstreams:\n- {name: u, healthchecks: " + v +
                         "}\nplugins:\n- {name: " + v + ", config: " + v + "}\n";
      ASSERT_NO_THROW(load_declarative(text, "t", registry())) << text;
    }
  }
}

TEST(DeclarativeFuzz, DeepNestingIsRefusedNotOverflowed) {
  std::string deep = "_format_version: \"3.0\"\n_ignore: " + std::string(100000, '[') +
                     std::string(100000, ']') + "\n";
  auto r = load_declarative(deep, "deep", registry());
  EXPECT_FALSE(r.ok());
  std::string deep_map = "_format_version: \"3.0\"\nservices:\n- " ;
  for (int i = 0; i < 200; ++i) deep_map += "{a: ";
  deep_map += "1" + std::string(200, '}') + "\n";
  EXPECT_FALSE(load_declarative(deep_map, "deep", registry()).ok());
}

TEST(DeclarativeFuzz, AliasBombIsRefusedWithinLimits) {
  std::string bomb = "_format_version: \"3.0\"\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
    prev = c;
  }
  auto r = load_declarative(bomb, "bomb", registry());
  EXPECT_FALSE(r.ok());
}

TEST(DeclarativeFuzz, EmptyAndScalarDocumentsAreRefused) {
  for (const char* text : {"", "   ", "42", "\"x\"", "[1, 2]", "---\n...\n", "~"}) {
    auto r = load_declarative(text, "t", registry());
    EXPECT_FALSE(r.ok()) << text;
  }
}

}  // namespace
}  // namespace gh::config
