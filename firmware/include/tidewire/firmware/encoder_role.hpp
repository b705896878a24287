#pragma once
// The live-video encoder, written once for boards and the simulator
// (src/roles/encoder_role.cpp): its status, the events it raises and how it answers
//   start_stream{bitrate_kbps=100..50000?}  stop_stream  set_bitrate{kbps=100..50000}
// Events, from the stream's readings in order:
//   stream.started (HIGH)   entering LIVE, with bitrate_kbps when known
//   stream.stopped (HIGH)   reaching IDLE from STARTING, LIVE or STOPPING (not after a
//                           failure), with frames when the encoder counts them
//   stream.failed (HIGH)    entering FAILED, with silent_ms
//   frames.dropped          once 30 frames were dropped since the last report, with count
//                           and total; NORMAL from 100 frames (also an early status), LOW below
//
// EncoderHardware is all that differs: a board reads ffmpeg's -progress output, the
// simulator models an uplink. A board's agent only watches ffmpeg (no StreamControl), so
// there the three commands answer UNSUPPORTED.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tidewire/firmware/hal.hpp"

namespace tidewire::firmware {

// The stream as the encoder last reported it.
struct StreamReading {
  v1::EncoderState state = v1::ENCODER_STATE_IDLE;
  std::optional<double> bitrate_kbps;  // empty: not known yet (ffmpeg's "N/A")
  double fps = 0;
  uint64_t dropped_frames = 0;     // total; going down means a new encoder run
  std::optional<uint64_t> frames;  // encoded so far, where the encoder counts them
  std::optional<double> rtt_ms;    // uplink round trip; empty: not measured (ffmpeg)
  double buffer_ms = 0;
  double uptime_s = 0;    // of the current stream
  int64_t silent_ms = 0;  // FAILED: how long the encoder had said nothing
};

// Starting, stopping and retuning the stream.
class StreamControl {
 public:
  virtual ~StreamControl() = default;
  virtual uint32_t target_kbps() const = 0;
  virtual void set_target_kbps(uint32_t kbps) = 0;
  virtual void start() = 0;  // towards LIVE, through STARTING
  virtual void stop() = 0;   // towards IDLE, through STOPPING
};

class EncoderHardware {
 public:
  virtual ~EncoderHardware() = default;
  // Advances to now and appends what the encoder reported since the last poll, oldest
  // first: a board gives one reading per ffmpeg progress block, the simulator one per poll.
  virtual void poll(std::vector<StreamReading>& readings) = 0;
  // The stream now (also between polls, right after a command).
  virtual StreamReading reading() const = 0;
  // nullptr when the encoder is only watched, not driven (boards). Asked once, when the
  // role is made; the control lives as long as the hardware.
  virtual StreamControl* control() { return nullptr; }
};
using EncoderHardwarePtr = std::unique_ptr<EncoderHardware>;

DeviceHalPtr make_encoder_role(EncoderHardwarePtr hardware);

}  // namespace tidewire::firmware
