#include "bot/http/connection_table.h"

#include <arpa/inet.h>
#include <unistd.h>

namespace ccci {
namespace {

std::string PeerText(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace

void ConnectionTable::CloseAll() {
  for (Connection* c : all_) {
    if (c->fd >= 0) close(c->fd);
    delete c;
  }
  all_.clear();
  peers_.clear();
  head_ = tail_ = nullptr;
  open_ = 0;
  charged_ = 0;
}

Connection* ConnectionTable::Add(int fd, const sockaddr_storage& addr,
                                 RequestReader::Limits limits) {
  auto* c = new Connection(fd, limits);
  c->peer = PeerKey::Of(addr);
  c->peer_text = PeerText(addr);
  c->peer_entry = &peers_[c->peer];  // nodes of an unordered_map do not move
  c->peer_entry->count++;
  open_++;
  all_.insert(c);
  return c;
}

void ConnectionTable::Remove(Connection* c) {
  Unlist(c);
  if (--c->peer_entry->count == 0) peers_.erase(c->peer);
  c->peer_entry = nullptr;
  open_--;
  all_.erase(c);
}

void ConnectionTable::MarkWaiting(Connection* c) {
  Unlist(c);
  c->prev = tail_;
  (tail_ ? tail_->next : head_) = c;
  tail_ = c;
  PeerEntry* p = c->peer_entry;
  c->peer_prev = p->tail;
  (p->tail ? p->tail->peer_next : p->head) = c;
  p->tail = c;
  c->listed = true;
}

void ConnectionTable::Unlist(Connection* c) {
  if (!c->listed) return;
  (c->prev ? c->prev->next : head_) = c->next;
  (c->next ? c->next->prev : tail_) = c->prev;
  PeerEntry* p = c->peer_entry;
  (c->peer_prev ? c->peer_prev->peer_next : p->head) = c->peer_next;
  (c->peer_next ? c->peer_next->peer_prev : p->tail) = c->peer_prev;
  c->prev = c->next = c->peer_prev = c->peer_next = nullptr;
  c->listed = false;
}

Connection* ConnectionTable::VictimFor(const PeerKey& key, int max_total, int max_per_peer,
                                       bool* full) const {
  *full = false;
  Connection* victim = nullptr;
  if (max_per_peer > 0 && PeerCount(key) >= max_per_peer) {
    victim = OldestOf(key);
  } else if (open() >= max_total) {
    victim = Oldest();
  } else {
    return nullptr;
  }
  *full = victim == nullptr;
  return victim;
}

int ConnectionTable::PeerCount(const PeerKey& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? 0 : it->second.count;
}

Connection* ConnectionTable::OldestOf(const PeerKey& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : it->second.head;
}

}  // namespace ccci
