// compose-facts: what the abra stand-in (tests/swarm/abra) needs to know of a recipe's compose
// files, read with a real YAML parser (yaml-cpp) and interpolated from the environment as
// `docker stack deploy` and abra do (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
// $VAR, $$). Later files override earlier ones, as `docker stack deploy -c a -c b` merges them.
//
//   compose-facts secrets FILE...   one line per top-level secret: KEY<TAB>NAME<TAB>EXTERNAL
//                                   (NAME as interpolated; EXTERNAL "true" or "false")
//   compose-facts services FILE...  one line per service: NAME<TAB>IMAGE<TAB>HEALTHCHECK
//                                   <TAB>TRAEFIK (HEALTHCHECK/TRAEFIK "yes" or "no": a
//                                   healthcheck test, a traefik.enable=true deploy label)
//   compose-facts versions FILE...  one line per file: FILE<TAB>its `version:` ("" if none)
// Exit 1 with a one-line error naming the file when a file is missing or not YAML.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

// Interpolates compose variables from the environment; an unset ${VAR:?msg} is an error.
std::string Interpolate(const std::string& in, std::string* error) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' || i + 1 >= in.size()) {
      out += in[i];
      continue;
    }
    char next = in[i + 1];
    if (next == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name, op, arg;
    if (next == '{') {
      size_t close = in.find('}', i + 2);
      if (close == std::string::npos) {
        out += in.substr(i);
        break;
      }
      std::string body = in.substr(i + 2, close - i - 2);
      size_t cut = body.find_first_of(":-?");
      name = body.substr(0, cut);
      if (cut != std::string::npos) {
        op = body[cut] == ':' ? body.substr(cut, 2) : body.substr(cut, 1);
        arg = body.substr(cut + op.size());
      }
      i = close;
    } else {
      size_t end = i + 1;
      while (end < in.size() && (isalnum(static_cast<unsigned char>(in[end])) || in[end] == '_')) ++end;
      if (end == i + 1) {
        out += '$';
        continue;
      }
      name = in.substr(i + 1, end - i - 1);
      i = end - 1;
    }
    const char* v = getenv(name.c_str());
    bool set = v != nullptr, empty = !v || !*v;
    if ((op == ":-" && empty) || (op == "-" && !set)) {
      out += arg;
    } else if ((op == ":?" && empty) || (op == "?" && !set)) {
      *error = name + ": " + (arg.empty() ? "required variable is missing a value" : arg);
      return out;
    } else if (v) {
      out += v;
    }
  }
  return out;
}

std::string Scalar(const YAML::Node& n, std::string* error) {
  return n && n.IsScalar() ? Interpolate(n.Scalar(), error) : "";
}

bool HasTraefik(const YAML::Node& labels, std::string* error) {
  if (!labels) return false;
  if (labels.IsSequence()) {
    for (const auto& l : labels) {
      if (Scalar(l, error) == "traefik.enable=true") return true;
    }
  } else if (labels.IsMap()) {
    for (const auto& kv : labels) {
      if (kv.first.Scalar() == "traefik.enable" && Scalar(kv.second, error) == "true") return true;
    }
  }
  return false;
}

struct Service {
  std::string image;
  bool healthcheck = false, traefik = false;
};

int Fail(const std::string& message) {
  std::cerr << "compose-facts: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Fail("usage: compose-facts secrets|services|versions FILE...");
  std::string what = argv[1];
  std::map<std::string, std::pair<std::string, bool>> secrets;  // key -> name, external
  std::vector<std::string> order;                                // services, first seen first
  std::map<std::string, Service> services;
  std::string error;
  for (int i = 2; i < argc; ++i) {
    std::string file = argv[i];
    try {
      const YAML::Node root = YAML::LoadFile(file);
      if (what == "versions") std::cout << file << "\t" << Scalar(root["version"], &error) << "\n";
      const YAML::Node top_secrets = root["secrets"];
      if (top_secrets && top_secrets.IsMap()) {
        for (const auto& s : top_secrets) {
          const YAML::Node ext = s.second["external"];
          secrets[s.first.Scalar()] = {Scalar(s.second["name"], &error),
                                       ext && ext.IsScalar() && ext.Scalar() == "true"};
        }
      }
      const YAML::Node top_services = root["services"];
      if (top_services && top_services.IsMap()) {
        for (const auto& s : top_services) {
          std::string name = s.first.Scalar();
          if (!services.count(name)) order.push_back(name);
          Service& svc = services[name];
          const YAML::Node& body = s.second;
          if (body["image"]) svc.image = Scalar(body["image"], &error);
          const YAML::Node hc = body["healthcheck"];
          if (hc) svc.healthcheck = hc["test"] && !(hc["disable"] && hc["disable"].as<bool>());
          const YAML::Node deploy = body["deploy"];
          if (deploy && deploy["labels"]) svc.traefik = HasTraefik(deploy["labels"], &error);
        }
      }
    } catch (const YAML::Exception& e) {
      return Fail(file + ": " + e.what());
    }
    if (!error.empty()) return Fail(file + ": " + error);
  }
  if (what == "secrets") {
    for (const auto& [key, v] : secrets) {
      std::cout << key << "\t" << v.first << "\t" << (v.second ? "true" : "false") << "\n";
    }
  } else if (what == "services") {
    for (const std::string& name : order) {
      const Service& s = services[name];
      std::cout << name << "\t" << s.image << "\t" << (s.healthcheck ? "yes" : "no") << "\t"
                << (s.traefik ? "yes" : "no") << "\n";
    }
  } else if (what != "versions") {
    return Fail("unknown question '" + what + "'");
  }
  return 0;
}
