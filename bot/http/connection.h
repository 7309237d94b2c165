#pragma once
// One peer connection of the front (bot/http/front.h): its request reader, the answer in
// flight and its place in the eviction order. A connection is owned by exactly one thread at
// a time: the event loop, or the worker it was handed to (state kInWorker); only the owner
// touches it, and only the loop creates and destroys connections.

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bot/http/http_message.h"
#include "bot/http/request_reader.h"

namespace ccci {

using FrontClock = std::chrono::steady_clock;

// Who a peer is, for the per-peer cap: its IPv4 address, or the /64 prefix of its IPv6 one
// (one host usually holds a whole /64).
struct PeerKey {
  uint64_t hi = 0, lo = 0;
  bool operator==(const PeerKey&) const = default;
  static PeerKey Of(const sockaddr_storage& addr);
};
struct PeerKeyHash {
  size_t operator()(const PeerKey& k) const { return std::hash<uint64_t>()(k.hi * 31 + k.lo); }
};

enum class ConnState {
  kReading,    // waiting for a request, or reading one (the loop)
  kInWorker,   // a worker handles its request or pulls its body
  kWriting,    // waiting for the peer to take pending output (the loop)
  kWaiting,    // its body source has nothing yet; pulled again at `deadline` (the loop)
  kLingering,  // answered and half-closed: what the peer still sends is read and dropped
};

// What a worker's turn with a connection ended in.
enum class Turn {
  kAnswered,  // the whole answer is written
  kRearmed,   // written, and the worker already waits for the next request (keep-alive)
  kBlocked,   // the socket took what it could; more is pending or yielded
  kWait,      // the body source has nothing now
  kBroken,    // the peer is gone
};

struct PeerEntry;

struct Connection {
  Connection(int fd, RequestReader::Limits limits) : fd(fd), reader(limits) {}

  int fd;
  PeerKey peer;
  std::string peer_text;
  PeerEntry* peer_entry = nullptr;
  ConnState state = ConnState::kReading;
  FrontClock::time_point deadline;  // when the current wait ends
  bool missed_event = false;        // an event came while in a worker, and was dropped (the loop's)
  RequestReader reader;
  std::string leftover;  // bytes read past the current request (pipelining)
  int64_t charged = 0;   // body bytes counted against the front's request memory

  // The request being answered and its answer.
  HttpRequest request;
  bool priority = false;    // served by the webhook intake's reserved workers
  bool responding = false;  // the handler ran; the answer is being written
  bool keep_alive = false;
  bool chunked = false;
  bool body_done = false;  // nothing remains after `out`
  std::unique_ptr<BodySource> source;
  std::chrono::milliseconds wait{0};  // of the last kWait
  std::string out;                    // pending bytes, sent from out_pos
  size_t out_pos = 0;
  size_t lingered = 0;  // bytes read and dropped after a closing answer

  // Links of the eviction lists (global and per peer), oldest first.
  Connection* prev = nullptr;
  Connection* next = nullptr;
  Connection* peer_prev = nullptr;
  Connection* peer_next = nullptr;
  bool listed = false;

  // Starts the answer: the head, and the body when it is a string. HEAD requests get the
  // head only.
  void BeginAnswer(HttpResponse response, bool keep_alive_allowed);
  // Sends pending output and pulls the body source until the answer is written, the socket
  // is full, the source waits, or `budget` bytes were pulled (then kBlocked: a turn is
  // bounded, so one big answer cannot hold a worker).
  Turn Pump(size_t budget);
  // Sends pending output without pulling. kAnswered when nothing is pending any more (the
  // source may still have more), kBlocked, or kBroken.
  Turn Flush();
  // Ready for the next request on this connection.
  void EndAnswer();
};

}  // namespace ccci
