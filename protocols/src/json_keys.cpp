#include "json_keys.hpp"

#include <optional>
#include <set>
#include <string>

namespace tidewire::protocols {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr int kMaxDepth = 64;  // deeper texts are left to the parser's own limit

// What the value being walked is, as far as the schema says: a message (its fields are
// the keys), a map (any keys, values of one type), or nothing known (keys compared as
// written, after unescaping).
struct Shape {
  const Descriptor* message = nullptr;
  const FieldDescriptor* map = nullptr;
};

bool well_known(const Descriptor* d) {
  // Struct, Value, Any, Timestamp ...: their JSON forms are not their fields.
  return d->file()->package() == "google.protobuf";
}

Shape shape_of(const FieldDescriptor* f) {
  if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return {};
  if (f->is_map()) return {nullptr, f};
  return well_known(f->message_type()) ? Shape{} : Shape{f->message_type(), nullptr};
}

const FieldDescriptor* field_named(const Descriptor* d, const std::string& key) {
  if (const FieldDescriptor* f = d->FindFieldByName(key)) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) return d->field(i);
  }
  return nullptr;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Walk {
 public:
  explicit Walk(std::string_view text) : s_(text) {}

  // False when the text is not well-formed JSON where the walk went (the parser says why);
  // a duplicate found on the way is in duplicate_.
  bool value(const Shape& shape, int depth) {
    skip_ws();
    if (i_ >= s_.size() || depth > kMaxDepth) return false;
    switch (s_[i_]) {
      case '{': return object(shape, depth);
      case '[': return array(shape, depth);
      case '"': return string(nullptr);
      default: return scalar();
    }
  }

  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  bool object(const Shape& shape, int depth) {
    ++i_;  // '{'
    std::set<std::string> seen;
    skip_ws();
    if (peek('}')) return ++i_, true;
    while (true) {
      skip_ws();
      std::string key;
      if (!peek('"') || !string(&key)) return false;
      const FieldDescriptor* field = shape.message ? field_named(shape.message, key) : nullptr;
      // One field, whichever of its names: keyed by number; anything else as written.
      std::string canonical = field ? "#" + std::to_string(field->number()) : "=" + key;
      if (!seen.insert(canonical).second) {
        duplicate_ = key;
        return false;
      }
      skip_ws();
      if (!peek(':')) return false;
      ++i_;
      Shape inner;
      if (shape.map) inner = shape_of(shape.map->message_type()->map_value());
      else if (field) inner = shape_of(field);
      if (!value(inner, depth + 1)) return false;
      skip_ws();
      if (peek(',')) {
        ++i_;
        continue;
      }
      if (peek('}')) return ++i_, true;
      return false;
    }
  }

  bool array(const Shape& shape, int depth) {
    ++i_;  // '['
    skip_ws();
    if (peek(']')) return ++i_, true;
    while (true) {
      if (!value(shape, depth + 1)) return false;  // a repeated field's elements share its shape
      skip_ws();
      if (peek(',')) {
        ++i_;
        continue;
      }
      if (peek(']')) return ++i_, true;
      return false;
    }
  }

  // A string token; its unescaped text into `out` when given.
  bool string(std::string* out) {
    ++i_;  // '"'
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        if (out) *out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      if (e == 'u') {
        auto cp = hex4();
        if (!cp) return false;
        uint32_t code = *cp;
        if (code >= 0xD800 && code <= 0xDBFF && i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
          i_ += 2;
          auto low = hex4();
          if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
          code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
        }
        if (out) append_utf8(*out, code);
        continue;
      }
      const std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
      auto at = from.find(e);
      if (at == std::string_view::npos) return false;
      if (out) *out += to[at];
    }
    return false;
  }

  std::optional<uint32_t> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return std::nullopt;
    }
    return v;
  }

  // Numbers, true, false, null: their shape is the parser's business.
  bool scalar() {
    size_t start = i_;
    while (i_ < s_.size() && std::string_view(",}] \t\r\n").find(s_[i_]) == std::string_view::npos) ++i_;
    return i_ > start;
  }

  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::optional<std::string> duplicate_;
};

}  // namespace

Status check_duplicate_keys(std::string_view json, const Descriptor* type) {
  Walk walk(json);
  Shape top;
  if (type != nullptr && !well_known(type)) top.message = type;
  (void)walk.value(top, 0);
  if (!walk.duplicate()) return {};
  std::string key = walk.duplicate()->substr(0, 64);
  return make_error(ErrorCode::kMalformed,
                    "body names the key '" + key +
                        "' twice in one object (also counting a field's proto and JSON names); each may appear once",
                    "duplicate_key");
}

}  // namespace tidewire::protocols
