#include "harness/run/fault_recorder.h"

#include "harness/generator/workers.h"

namespace faultline::harness {

int64_t FaultRecorder::Started(const AppliedFault& fault, nlohmann::json detail, int64_t start_ns) {
  FaultRecord rec;
  rec.index = next_index_++;
  rec.kind = std::string(FaultKindName(fault.spec.kind));
  rec.targets.assign(fault.nodes.begin(), fault.nodes.end());
  rec.start_ns = start_ns != 0 ? start_ns : NowNs();
  if (KindInfo(fault.spec.kind).instantaneous) rec.stop_ns = rec.start_ns;
  rec.description = fault.description;
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [id, role] : fault.roles)
    roles[std::to_string(id)] = std::string(RoleName(role));
  if (!detail.is_object()) detail = nlohmann::json::object();
  detail["roles"] = roles;
  if (fault.grudge) detail["grudge"] = DescribeGrudge(*fault.grudge);
  rec.detail_json = detail.dump();
  if (on_start) on_start(rec);
  store_->RecordFaultStart(run_id_, rec);
  return rec.index;
}

void FaultRecorder::Stopped(int64_t index, const Status& stop, int64_t stop_ns) {
  std::string detail;
  if (!stop.ok()) detail = nlohmann::json{{"stop_error", stop.ToString()}}.dump();
  if (stop_ns == 0) stop_ns = NowNs();
  if (on_stop) on_stop(index, stop_ns);
  store_->RecordFaultStop(run_id_, index, stop_ns, detail);
}

void FaultRecorder::Crash(NodeId node, const std::string& description, int64_t at_ns,
                          const std::string& noticed_by) {
  FaultRecord rec;
  rec.index = next_index_++;
  rec.kind = "crash";
  rec.targets = {node};
  rec.start_ns = at_ns != 0 ? at_ns : NowNs();
  rec.stop_ns = rec.start_ns;
  rec.description = description;
  rec.detail_json = nlohmann::json{{"noticed_by", noticed_by}}.dump();
  if (on_start) on_start(rec);
  store_->RecordFaultStart(run_id_, rec);
}

}  // namespace faultline::harness
