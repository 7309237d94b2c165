#pragma once
// The front's open connections (bot/http/front.h): how many each peer holds, and those
// waiting on their peer (for a request, for it to read, between polls of a live stream,
// lingering) in the order they began waiting, overall and per peer. The oldest waiting one
// is the first to close when a cap is reached: whoever holds a socket open the longest
// loses it, not the newcomer. Loop thread only, but for open().

#include <sys/socket.h>

#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "bot/http/connection.h"

namespace ccci {

struct PeerEntry {
  int count = 0;
  Connection* head = nullptr;  // its waiting connections, oldest first
  Connection* tail = nullptr;
};

class ConnectionTable {
 public:
  ConnectionTable() = default;
  ~ConnectionTable() { CloseAll(); }
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // A new connection on `fd` from `addr`, counted for its peer, not waiting yet.
  Connection* Add(int fd, const sockaddr_storage& addr, RequestReader::Limits limits);
  // Uncounts `c` and takes it off the lists; the caller closes and frees it.
  void Remove(Connection* c);
  // Lists `c` as the newest waiting connection.
  void MarkWaiting(Connection* c);
  // Takes `c` off the waiting lists (a worker has it now).
  void Unlist(Connection* c);
  // Closes and frees every connection. REQUIRES: no worker holds one.
  void CloseAll();

  // Request body bytes held (being read or handled), in all and by `c`.
  void Charge(Connection* c, int64_t bytes) {
    c->charged += bytes;
    charged_ += bytes;
  }
  void Uncharge(Connection* c) {
    charged_ -= c->charged;
    c->charged = 0;
  }
  int64_t charged() const { return charged_; }

  int open() const { return open_.load(); }
  // The connection to close so that one more from `key` fits the caps (0: no per-peer
  // cap); null when none needs to. `*full` is set when one must go but none waits.
  Connection* VictimFor(const PeerKey& key, int max_total, int max_per_peer, bool* full) const;
  int PeerCount(const PeerKey& key) const;
  // The oldest waiting connection, overall or of one peer; null when none waits. The next
  // oldest of all is c->next.
  Connection* Oldest() const { return head_; }
  Connection* OldestOf(const PeerKey& key) const;

 private:
  std::unordered_map<PeerKey, PeerEntry, PeerKeyHash> peers_;
  std::unordered_set<Connection*> all_;
  Connection* head_ = nullptr;
  Connection* tail_ = nullptr;
  std::atomic<int> open_{0};
  int64_t charged_ = 0;
};

}  // namespace ccci
