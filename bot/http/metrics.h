#pragma once
// Prometheus metrics for GET /metrics (prometheus-cpp core: counters and histograms are
// lock-free on the hot path, and its text serializer is the reference format).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "bot/store/records.h"

namespace ccci {

class Metrics {
 public:
  Metrics();

  // One webhook answered: its event (normalized, so a peer cannot mint label values),
  // outcome (accepted, duplicate, ignored, unauthorized, ...) and seconds from first byte
  // read to answer.
  void ObserveDelivery(const std::string& event, const std::string& outcome, double seconds);
  void ObserveHttpRequest(const std::string& route, int status);
  // A connection the HTTP front dropped: evicted, refused, busy, request_timeout, ...
  void ObserveDroppedConnection(const std::string& reason);
  // The runner: a finished stage (its name and status, how long it took; a flaky one also
  // counts in ccci_stage_flaky_total{stage}) and a run's outcome ("level N", "error",
  // "cancelled", "requeued").
  void ObserveStage(const std::string& stage, const std::string& status, double seconds);
  void ObserveRunFinished(const std::string& outcome);

  // The text exposition, with the queue gauges set from `counts` at scrape time.
  std::string Render(const QueueCounts& counts);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* deliveries_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Counter>* dropped_;
  prometheus::Histogram* intake_latency_;
  prometheus::Family<prometheus::Gauge>* queue_;
  prometheus::Family<prometheus::Histogram>* stage_seconds_;
  prometheus::Family<prometheus::Counter>* runs_finished_;
  prometheus::Family<prometheus::Counter>* stage_flaky_;
};

}  // namespace ccci
