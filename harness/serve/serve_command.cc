#include "harness/serve/serve_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "harness/history/history_store.h"
#include "harness/run/interrupt.h"
#include "harness/serve/http_server.h"
#include "harness/serve/site.h"

namespace faultline::harness::serve {
void AddServeCommand(CLI::App& app, int* exit_code, const std::string* store_arg,
                     const std::string* results_arg) {
  struct Args {
    int port = 8077;
    std::string bind = "127.0.0.1";
    int threads = 2;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "browse the store read-only: runs, reports, anomalies, trends (http://127.0.0.1)");
  cmd->add_option("--port", args->port, "TCP port (0: any free port, printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--bind", args->bind, "address to listen on (default loopback only)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads answering requests")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->callback([args, exit_code, store_arg, results_arg] {
    std::string store_path = *store_arg;
    std::string results = *results_arg;
    auto store = HistoryStore::OpenExisting(store_path);
    if (!store.ok()) {
      std::cerr << "error: " << store.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(results, ec)) {
      std::cerr << "note: results folder " << results
                << " does not exist: reports are rendered from the store, no files are served\n";
    }
    SiteOptions so;
    so.store_path = store_path;
    so.results_dir = results;
    auto site = std::make_shared<Site>(store->get(), so);
    HttpServerOptions ho;
    ho.bind = args->bind;
    ho.port = static_cast<uint16_t>(args->port);
    ho.threads = args->threads;
    auto server = HttpServer::Start(ho, [site](const HttpRequest& r) { return site->Handle(r); });
    if (!server.ok()) {
      std::cerr << "error: " << server.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    std::string host =
        args->bind.find(':') != std::string::npos ? "[" + args->bind + "]" : args->bind;
    std::cout << "serving http://" << host << ":" << (*server)->port() << "/ (store " << store_path
              << ", results " << results << ", read-only; Ctrl-C stops)" << std::endl;
    while (!Interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (*server)->Stop();
    std::cout << "stopped" << std::endl;
    *exit_code = 0;
  });
}

}  // namespace faultline::harness::serve
