// The `redis` block every store-backed plugin takes (rate-limiting's policy redis,
// aws-masker's consumer/global scopes): Kong's fields, Kong Enterprise's Sentinel and
// Cluster fields, and Gatehouse's `connection` (a named connection of the node settings).
// One definition, so that a block written for one plugin is valid for the other.
#pragma once

#include "plugin/schema/schema.h"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace gh::plugin::schema {

Field redis_record();

// Whether a (validated) `redis` block names a server — a host, a named connection,
// Sentinel or Cluster nodes — rather than holding only the defaults the schema filled in.
bool redis_configured(const boost::json::object& redis);

// With a named `connection`, only the fields the user wrote may override the named ones,
// so the defaults the schema fills in must go again. Call before validating (it remembers
// what was written) and apply() after.
class redis_written_fields {
 public:
  explicit redis_written_fields(const boost::json::object& config);
  void apply(boost::json::object& config) const;

 private:
  bool named_ = false;
  std::vector<std::string> written_;
};

}  // namespace gh::plugin::schema
