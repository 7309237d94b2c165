#include "bot/http/http_message.h"

#include <strings.h>

#include <ctime>

namespace ccci {
namespace {

// The Date header, formatted once a second per thread.
const std::string& HttpDate() {
  thread_local time_t cached_second = 0;
  thread_local std::string cached;
  time_t now = time(nullptr);
  if (now != cached_second) {
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

}  // namespace

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::raw_query() const {
  size_t q = target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

std::string_view HttpRequest::Header(std::string_view name, std::string_view fallback) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return fallback;
}

HttpResponse BodyResponse(int status, std::string content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.Set("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse TextResponse(int status, const std::string& line) {
  return BodyResponse(status, "text/plain; charset=utf-8", line + "\n");
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

void AppendResponseHead(const HttpResponse& r, bool keep_alive, bool chunked, int64_t length,
                        std::string* out) {
  out->append("HTTP/1.1 ");
  out->append(std::to_string(r.status));
  out->push_back(' ');
  out->append(ReasonPhrase(r.status));
  out->append("\r\n");
  AppendHeader(out, "Date", HttpDate());
  if (!r.content_type.empty()) AppendHeader(out, "Content-Type", r.content_type);
  if (chunked) {
    AppendHeader(out, "Transfer-Encoding", "chunked");
  } else if (length >= 0) {
    AppendHeader(out, "Content-Length", std::to_string(length));
  }
  AppendHeader(out, "Connection", keep_alive ? "Keep-Alive" : "close");
  for (const auto& [k, v] : r.headers) AppendHeader(out, k, v);
  out->append("\r\n");
}

}  // namespace ccci
