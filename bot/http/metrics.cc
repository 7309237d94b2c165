#include "bot/http/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>

namespace ccci {
namespace {

const std::string& NormalizeEvent(const std::string& event) {
  static const std::set<std::string> kKnown = {"pull_request",
                                               "issue_comment",
                                               "push",
                                               "issues",
                                               "create",
                                               "delete",
                                               "fork",
                                               "release",
                                               "repository",
                                               "wiki",
                                               "package",
                                               "status",
                                               "pull_request_approved",
                                               "pull_request_rejected",
                                               "pull_request_comment",
                                               "workflow_run",
                                               "workflow_job"};
  static const std::string kOther = "other";
  static const std::string kUnknown = "unknown";
  if (event.empty() || event == kUnknown) return kUnknown;
  return kKnown.count(event) ? event : kOther;
}

// Registers the family `builder` builds (prometheus::BuildCounter() and the like) in `registry`.
template <typename Builder>
auto& Family(Builder builder, prometheus::Registry& registry, const char* name, const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  deliveries_ = &Family(prometheus::BuildCounter(), *registry_, "ccci_webhook_deliveries_total",
                        "Webhook deliveries answered, by event and outcome");
  http_requests_ = &Family(prometheus::BuildCounter(), *registry_, "ccci_http_requests_total",
                           "HTTP requests answered, by route and status code");
  dropped_ = &Family(prometheus::BuildCounter(), *registry_, "ccci_http_connections_dropped_total",
                     "Connections the HTTP front closed without a handler's answer, by reason "
                     "(evicted over a connection cap, refused, busy, request_timeout, "
                     "write_timeout)");
  auto& latency = Family(prometheus::BuildHistogram(), *registry_, "ccci_webhook_intake_seconds",
                         "Time from reading a webhook to answering it (verify, parse, commit)");
  intake_latency_ = &latency.Add(
      {}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1, 0.25, 0.5, 1, 2.5, 5});
  queue_ = &Family(prometheus::BuildGauge(), *registry_, "ccci_queue_depth",
                   "Runs and commands waiting, by state");
  stage_seconds_ = &Family(prometheus::BuildHistogram(), *registry_, "ccci_stage_duration_seconds",
                           "How long the suite's stages took, by stage and status");
  runs_finished_ = &Family(prometheus::BuildCounter(), *registry_, "ccci_runs_finished_total",
                           "Runs the runner ended, by outcome (level_0..level_8, error, "
                           "cancelled, requeued)");
  stage_flaky_ = &Family(prometheus::BuildCounter(), *registry_, "ccci_stage_flaky_total",
                         "Stages that failed, then passed on their retry (default-branch runs)");
}

void Metrics::ObserveStage(const std::string& stage, const std::string& status, double seconds) {
  // Stage and status names come from the runner, not from a peer: a bounded label set.
  stage_seconds_
      ->Add({{"stage", stage}, {"status", status}},
            prometheus::Histogram::BucketBoundaries{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800,
                                                    3600})
      .Observe(seconds);
  if (status == kStageFlaky) stage_flaky_->Add({{"stage", stage}}).Increment();
}

void Metrics::ObserveRunFinished(const std::string& outcome) {
  std::string label = outcome;
  std::replace(label.begin(), label.end(), ' ', '_');
  runs_finished_->Add({{"outcome", label}}).Increment();
}

void Metrics::ObserveDelivery(const std::string& event, const std::string& outcome,
                              double seconds) {
  deliveries_->Add({{"event", NormalizeEvent(event)}, {"outcome", outcome}}).Increment();
  intake_latency_->Observe(seconds);
}

void Metrics::ObserveDroppedConnection(const std::string& reason) {
  dropped_->Add({{"reason", reason}}).Increment();
}

void Metrics::ObserveHttpRequest(const std::string& route, int status) {
  http_requests_->Add({{"route", route}, {"code", std::to_string(status)}}).Increment();
}

std::string Metrics::Render(const QueueCounts& counts) {
  queue_->Add({{"state", "queued"}}).Set(static_cast<double>(counts.queued));
  queue_->Add({{"state", "waiting"}}).Set(static_cast<double>(counts.waiting));
  queue_->Add({{"state", "running"}}).Set(static_cast<double>(counts.running));
  queue_->Add({{"state", "pending_command"}}).Set(static_cast<double>(counts.pending_commands));
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace ccci
