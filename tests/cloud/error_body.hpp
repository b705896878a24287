#pragma once
// The one error body every route answers with (tidewire.v1.ErrorBody through protobuf's
// JSON mapping), checked the same way for fleet, commands, dispatch, push and alerts.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "http/http.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::testing {

// Exactly the keys status, error, message and reason; status a JSON number equal to the
// HTTP status; error the status's name; reason as expected; a message for a person.
inline void expect_error_body(const http::Response& res, int status, const std::string& reason) {
  SCOPED_TRACE(res.body);
  EXPECT_EQ(res.status, status);
  EXPECT_EQ(res.content_type, "application/json");
  google::protobuf::Struct object;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res.body, &object).ok());
  std::set<std::string> keys;
  for (const auto& [key, value] : object.fields()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"status", "error", "message", "reason"}));
  EXPECT_EQ(object.fields().at("status").kind_case(), google::protobuf::Value::kNumberValue);
  v1::ErrorBody body;
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res.body, &body, strict).ok());
  EXPECT_EQ(body.status(), status);
  EXPECT_EQ(body.error(), http::status_name(status));
  EXPECT_EQ(body.reason(), reason);
  EXPECT_FALSE(body.message().empty());
}

}  // namespace tidewire::testing
