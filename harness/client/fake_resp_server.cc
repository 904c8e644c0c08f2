#include "harness/client/fake_resp_server.h"

#include <memory>

namespace faultline::harness {

FakeRespServer::FakeRespServer(Handler handler)
    : handler_(std::move(handler)), server_([this] { return NewSession(); }) {}

std::vector<std::string> FakeRespServer::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

FakeTcpServer::Session FakeRespServer::NewSession() {
  auto parser = std::make_shared<RespParser>();
  return [this, parser](std::string_view bytes) -> std::optional<std::string> {
    parser->Feed(bytes);
    std::string out;
    RespValue req;
    while (parser->Next(&req) == RespParser::State::kValue) {
      std::vector<std::string> args;
      std::string joined;
      for (const auto& e : req.elements) {
        args.push_back(e.str);
        joined += (joined.empty() ? "" : " ") + e.str;
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(joined);
      }
      FakeAction a = handler_(args);
      if (a.kind == FakeAction::Kind::kClose) return std::nullopt;
      if (a.kind == FakeAction::Kind::kReply) out += EncodeValue(a.reply);
    }
    return out;
  };
}

}  // namespace faultline::harness
