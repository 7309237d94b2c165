#include "bot/http/connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ccci {
namespace {

// A buffer this big is given back after use instead of kept for the next answer, so an
// idle connection holds little.
constexpr size_t kKeepCapacity = 64 * 1024;

void Release(std::string* s) {
  if (s->capacity() > kKeepCapacity) {
    std::string().swap(*s);
  } else {
    s->clear();
  }
}

void AppendHex(std::string* out, size_t n) {
  char buf[20];
  int len = snprintf(buf, sizeof(buf), "%zx\r\n", n);
  out->append(buf, static_cast<size_t>(len));
}

}  // namespace

PeerKey PeerKey::Of(const sockaddr_storage& addr) {
  PeerKey k;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    k.lo = a->sin_addr.s_addr;
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    const uint8_t* b = a->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      uint32_t v4;
      memcpy(&v4, b + 12, 4);
      k.lo = v4;
    } else {
      memcpy(&k.hi, b, 8);
      k.lo = 1ULL << 40;  // apart from every IPv4 address
    }
  }
  return k;
}

void Connection::BeginAnswer(HttpResponse response, bool keep_alive_allowed) {
  responding = true;
  keep_alive = keep_alive_allowed && !response.close;
  source = std::move(response.source);
  int64_t length = static_cast<int64_t>(response.body.size());
  chunked = false;
  if (source) {
    length = response.content_length;
    if (length < 0 && request.minor_version == 0) {
      keep_alive = false;  // an HTTP/1.0 peer knows no chunks: the close ends the body
    } else if (length < 0) {
      chunked = true;
    }
  }
  out.clear();
  out_pos = 0;
  AppendResponseHead(response, keep_alive, chunked, length, &out);
  if (request.is_head()) {
    source.reset();
    body_done = true;
    return;
  }
  out.append(response.body);
  body_done = source == nullptr;
}

Turn Connection::Flush() {
  while (out_pos < out.size()) {
    ssize_t n = send(fd, out.data() + out_pos, out.size() - out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Turn::kBlocked;
    } else {
      return Turn::kBroken;
    }
  }
  Release(&out);
  out_pos = 0;
  return Turn::kAnswered;
}

Turn Connection::Pump(size_t budget) {
  std::string piece;
  size_t pulled = 0;
  for (;;) {
    Turn t = Flush();
    if (t != Turn::kAnswered || body_done) return t;
    if (pulled >= budget) return Turn::kBlocked;
    piece.clear();
    BodySource::Pull p = source->Next(&piece);
    pulled += piece.size() + 1;
    if (!piece.empty()) {
      if (chunked) AppendHex(&out, piece.size());
      out.append(piece);
      if (chunked) out.append("\r\n");
    }
    if (p.step == BodySource::Step::kDone) {
      source.reset();
      body_done = true;
      if (chunked) out.append("0\r\n\r\n");
    } else if (p.step == BodySource::Step::kFail) {
      return Turn::kBroken;
    } else if (p.step == BodySource::Step::kWait) {
      wait = p.wait;
      t = Flush();
      return t == Turn::kAnswered ? Turn::kWait : t;
    }
  }
}

void Connection::EndAnswer() {
  responding = false;
  source.reset();
  body_done = false;
  chunked = false;
  request = HttpRequest();
  Release(&out);
  out_pos = 0;
}

}  // namespace ccci
