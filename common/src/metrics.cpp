#include "tidewire/common/metrics.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace tidewire {
namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string label_key(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string with_label(const std::string& key, const std::string& extra) {
  if (key.empty()) return "{" + extra + "}";
  return key.substr(0, key.size() - 1) + "," + extra + "}";
}

std::string fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  std::lock_guard lock(mu_);
  counts_[static_cast<size_t>(it - bounds_.begin())]++;
  sum_ += v;
  count_++;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mu_);
  Snapshot s{bounds_, {}, sum_, count_};
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  return s;
}

double Histogram::quantile(double q) const {
  Snapshot s = snapshot();
  if (s.count == 0) return 0;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(s.count));
  for (size_t i = 0; i < s.bounds.size(); ++i) {
    if (s.cumulative[i] > rank) return s.bounds[i];
  }
  return s.bounds.empty() ? 0 : s.bounds.back();
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, Kind kind, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  } else if (it->second.kind != kind) {
    // A programming error (same name registered as two kinds), not an input error.
    throw std::logic_error("metric " + name + " registered with two kinds");
  }
  return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::kCounter, help).counters[label_key(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::kGauge, help).gauges[label_key(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                      const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Kind::kHistogram, help).histograms[label_key(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

uint64_t MetricsRegistry::counter_total(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  uint64_t total = 0;
  for (const auto& [k, c] : it->second.counters) total += c->value();
  return total;
}

uint64_t MetricsRegistry::counter_value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto c = it->second.counters.find(label_key(labels));
  return c == it->second.counters.end() ? 0 : c->second->value();
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mu_);
  std::ostringstream os;
  for (const auto& [name, fam] : families_) {
    const char* type = fam.kind == Kind::kCounter ? "counter" : fam.kind == Kind::kGauge ? "gauge" : "histogram";
    os << "# HELP " << name << " " << fam.help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& [key, c] : fam.counters) os << name << key << " " << c->value() << "\n";
    for (const auto& [key, g] : fam.gauges) os << name << key << " " << g->value() << "\n";
    for (const auto& [key, h] : fam.histograms) {
      auto s = h->snapshot();
      for (size_t i = 0; i < s.bounds.size(); ++i) {
        os << name << "_bucket" << with_label(key, "le=\"" + fmt(s.bounds[i]) + "\"") << " " << s.cumulative[i] << "\n";
      }
      os << name << "_bucket" << with_label(key, "le=\"+Inf\"") << " " << s.count << "\n";
      os << name << "_sum" << key << " " << fmt(s.sum) << "\n";
      os << name << "_count" << key << " " << s.count << "\n";
    }
  }
  return os.str();
}

std::vector<double> default_ms_buckets() {
  return {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000};
}

}  // namespace tidewire
