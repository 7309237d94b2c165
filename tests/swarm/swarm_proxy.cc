// swarm_proxy: the real-swarm lane's stand-in for traefik (its Docker Swarm provider), which
// cannot run here (no registry to pull it from). Like traefik it routes by Host header, from
// the services' own deploy labels:
//   traefik.enable=true
//   traefik.http.routers.<r>.rule=Host(`<domain>`)            (|| Host(`...`) alternatives)
//   traefik.http.services.<s>.loadbalancer.server.port=<port>  (else the task's first port)
// to a task of that service in state `running` (swarm keeps a task with a healthcheck in
// `starting` until it is healthy, so an app that is not up yet is not routed: 404, as traefik
// answers for a router it has no server for). Unlike traefik it reaches the task through the
// task's host-mode published port on 127.0.0.1 (never a container address), so recipes on
// the lane publish their web port in host mode. It asks the Docker Engine API on
// $DOCKER_HOST's unix socket on every request (a few ms), so a redeploy is seen at once.
//
// Usage: swarm_proxy --port-file FILE   listens on 127.0.0.1:0, writes the port to FILE,
//                                       serves until SIGTERM or SIGINT.
#include <curl/curl.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/fakes/fake_proxy.h"

namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET on the Engine API; empty on any failure (then nothing is routed).
std::string DockerGet(const std::string& socket, const std::string& path) {
  CURL* curl = curl_easy_init();
  if (!curl) return "";
  std::string body;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, ("http://docker/v1.41" + path).c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  long code = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  return code == 200 ? body : "";
}

std::string Escape(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The host port a running task of the service publishes for `target` (any port if 0); 0 if
// no task of it is running.
int RunningTaskPort(const std::string& socket, const std::string& service_id, int target) {
  std::string filter =
      R"({"service":[")" + service_id + R"("],"desired-state":["running"]})";
  rapidjson::Document tasks;
  tasks.Parse(DockerGet(socket, "/tasks?filters=" + Escape(filter)).c_str());
  if (tasks.HasParseError() || !tasks.IsArray()) return 0;
  for (const auto& t : tasks.GetArray()) {
    if (!t.IsObject() || !t.HasMember("Status") || !t["Status"].IsObject()) continue;
    const auto& status = t["Status"];
    if (!status.HasMember("State") || !status["State"].IsString() ||
        std::string(status["State"].GetString()) != "running" ||
        !status.HasMember("PortStatus") || !status["PortStatus"].IsObject() ||
        !status["PortStatus"].HasMember("Ports") || !status["PortStatus"]["Ports"].IsArray()) {
      continue;
    }
    for (const auto& p : status["PortStatus"]["Ports"].GetArray()) {
      if (!p.IsObject() || !p.HasMember("TargetPort") || !p.HasMember("PublishedPort") ||
          !p["TargetPort"].IsInt() || !p["PublishedPort"].IsInt()) {
        continue;
      }
      if (target == 0 || p["TargetPort"].GetInt() == target) return p["PublishedPort"].GetInt();
    }
  }
  return 0;
}

// The published port of a running task of the service whose router matches `host`; 0 if none.
int Route(const std::string& socket, const std::string& host) {
  rapidjson::Document services;
  services.Parse(DockerGet(socket, "/services?filters=" +
                                       Escape(R"({"label":["traefik.enable=true"]})")).c_str());
  if (services.HasParseError() || !services.IsArray()) return 0;
  for (const auto& svc : services.GetArray()) {
    if (!svc.IsObject() || !svc.HasMember("ID") || !svc["ID"].IsString() ||
        !svc.HasMember("Spec") || !svc["Spec"].IsObject() || !svc["Spec"].HasMember("Labels") ||
        !svc["Spec"]["Labels"].IsObject()) {
      continue;
    }
    bool match = false;
    int target = 0;
    for (const auto& l : svc["Spec"]["Labels"].GetObject()) {
      if (!l.value.IsString()) continue;
      std::string key = l.name.GetString(), value = l.value.GetString();
      if (key.rfind("traefik.http.routers.", 0) == 0 && EndsWith(key, ".rule") &&
          value.find("Host(`" + host + "`)") != std::string::npos) {
        match = true;
      }
      if (key.rfind("traefik.http.services.", 0) == 0 &&
          EndsWith(key, ".loadbalancer.server.port")) {
        target = atoi(value.c_str());
      }
    }
    if (match) return RunningTaskPort(socket, svc["ID"].GetString(), target);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--port-file") port_file = argv[i + 1];
  }
  const char* docker_host = getenv("DOCKER_HOST");
  std::string socket = docker_host ? docker_host : "unix:///var/run/docker.sock";
  if (port_file.empty() || socket.rfind("unix://", 0) != 0) {
    std::cerr << "usage: DOCKER_HOST=unix://SOCKET swarm_proxy --port-file FILE\n";
    return 2;
  }
  socket = socket.substr(7);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server's threads start
  ccci::testing::FakeProxy proxy([socket](const std::string& host) { return Route(socket, host); });
  {
    std::ofstream out(port_file + ".tmp");
    out << proxy.port() << "\n";
  }
  if (rename((port_file + ".tmp").c_str(), port_file.c_str()) != 0) return 1;
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}
