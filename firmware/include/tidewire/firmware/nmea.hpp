#pragma once
// NMEA 0183 from a GPS receiver: the two sentences a rider terminal needs.
//   $xxRMC  position, speed over ground (knots), course, and whether the fix is valid
//   $xxGGA  fix quality, satellites and HDOP (for an accuracy estimate)
// Any talker (GP, GN, GL, GA, BD...) is accepted. A line is checked before it is
// believed: '$', fields, '*' and a two-digit hex checksum (XOR of the bytes between them).
// Receivers on noisy serial lines do send garbage, so every failure is an Error, never
// an exception or a made-up position.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::firmware::nmea {

struct Position {
  double lat_deg = 0;  // + north
  double lon_deg = 0;  // + east
};

struct Rmc {
  bool active = false;  // status 'A'; 'V' means the receiver has no valid fix
  std::optional<Position> position;
  double speed_mps = 0;
  std::optional<double> course_deg;  // true course; empty when not moving / unknown
};

struct Gga {
  int quality = 0;  // 0 = no fix, 1 = GPS, 2 = DGPS, ...
  int satellites = 0;
  std::optional<double> hdop;
  std::optional<Position> position;
};

struct Sentence {
  std::string talker;  // "GP", "GN", ...
  std::string type;    // "RMC", "GGA", or another type this parser does not read
  std::optional<Rmc> rmc;
  std::optional<Gga> gga;
};

// Parses one line (trailing CR/LF allowed). Sentences of other types parse to a Sentence
// with neither rmc nor gga set, once their checksum holds.
Expected<Sentence> parse(std::string_view line);

// XOR of the bytes between '$' and '*' (exposed for tests and simulated receivers).
uint8_t checksum(std::string_view body);

// The latest fix folded from RMC and GGA sentences.
struct Fix {
  bool valid = false;
  double lat_deg = 0;
  double lon_deg = 0;
  double speed_mps = 0;
  double heading_deg = 0;
  double accuracy_m = 0;  // HDOP x 5 m (a typical receiver's range error); 0 = unknown
};

class GpsTracker {
 public:
  // Feeds one line; errors say why the line was refused (the tracker is unchanged).
  Status feed(std::string_view line);
  const Fix& fix() const { return fix_; }
  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  Fix fix_;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace tidewire::firmware::nmea
