#pragma once
// The real-Swarm lane (tests/swarm/lane.sh, started by ctest's `swarm` fixture) from a
// test's side: Enter() joins the lane's network namespace, where its swarm publishes the
// apps and its proxy listens, so this test and every process it starts afterwards (cc-ci,
// abra, curl, Chromium) reach them on 127.0.0.1 only; DOCKER_HOST names the lane's daemon
// and PATH starts with the lane's bin dir (the abra stand-in). Docker() and Leftovers() look
// at the swarm as a test's assertions need.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "tests/fakes/recipe_repo.h"

namespace ccci::testing {

class SwarmLane {
 public:
  // Joins the lane. Returns why the lane cannot be used (the test then skips with that
  // reason: dockerd could not start here), or "" when it can. Call before starting threads.
  static std::string Enter() {
    std::string dir = CCCI_SWARM_LANE_DIR;
    std::ifstream skip(dir + "/skip");
    std::string reason;
    if (std::getline(skip, reason)) return "the real-swarm lane is not available: " + reason;
    auto env = ReadEnv(dir + "/lane.env");
    if (env.empty()) {
      throw std::runtime_error("no " + dir + "/lane.env: run through ctest (fixture swarm), "
                               "or tests/swarm/lane.sh up " + dir + " BIN_DIR");
    }
    int fd = open(env["LANE_NETNS"].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      throw std::runtime_error("cannot enter the lane's network namespace " + env["LANE_NETNS"]);
    }
    close(fd);
    setenv("DOCKER_HOST", env["DOCKER_HOST"].c_str(), 1);
    std::string path = env["LANE_BIN"] + ":" + getenv("PATH");
    setenv("PATH", path.c_str(), 1);
    Get().proxy_port_ = std::stoi(env["LANE_PROXY"]);
    return "";
  }
  static SwarmLane& Get() {
    static SwarmLane lane;
    return lane;
  }
  // The lane's proxy (traefik's stand-in) on 127.0.0.1, as runner.connect_to gives it.
  int proxy_port() const { return proxy_port_; }
  std::string connect_to() const { return "::127.0.0.1:" + std::to_string(proxy_port_); }

  // Runs docker with `args` (shell words); its output. Throws if docker fails.
  static std::string Docker(const std::string& args) { return Sh("docker " + args); }

  // What is left of a stack on the swarm: its services, containers (any state), networks,
  // volumes and secrets, one per line; "" when nothing.
  static std::string Leftovers(const std::string& stack) {
    std::string label = "--filter label=com.docker.stack.namespace=" + stack;
    std::string out;
    auto add = [&](const std::string& what, const std::string& list) {
      if (!list.empty()) out += what + ": " + list;
    };
    add("services", Docker("service ls -q " + label));
    add("containers", Docker("ps -aq " + label));
    add("networks", Docker("network ls -q " + label));
    add("volumes", Docker("volume ls -q " + label));
    add("secrets", Sh("docker secret ls --format '{{.Name}}' | grep '^" + stack + "_' || true"));
    return out;
  }

 private:
  static std::map<std::string, std::string> ReadEnv(const std::string& path) {
    std::map<std::string, std::string> env;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
        value = value.substr(1, value.size() - 2);
      }
      env[line.substr(0, eq)] = value;
    }
    return env;
  }
  int proxy_port_ = 0;
};

}  // namespace ccci::testing
