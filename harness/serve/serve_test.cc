// Unit tests of `faultline serve`: target parsing and the results-folder fence (.., encoded
// %2e%2e, absolute paths, symlinks out), the filters, the pages over a small store, and the HTTP
// server on loopback against clients that misbehave (half-sent requests, huge headers, garbage,
// other methods, more connections than it takes, a handler that throws).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/history/history_store.h"
#include "harness/serve/http_server.h"
#include "harness/serve/request_target.h"
#include "harness/serve/site.h"

namespace faultline::harness::serve {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0Ms = 1'796'155'125'800;  // 2026-12-01

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("serve-test-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(RequestTarget, DecodesPathAndQueryAndRefusesBadEscapes) {
  Result<Target> t = ParseTarget("/runs/%33/?suite=a+b%2Fc&limit=5&&x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/runs/3/");
  EXPECT_EQ(t->query.at("suite"), "a b/c");
  EXPECT_EQ(t->query.at("limit"), "5");
  EXPECT_EQ(t->query.at("x"), "");
  EXPECT_FALSE(ParseTarget("/a%zz").ok());
  EXPECT_FALSE(ParseTarget("/a%4").ok());
  EXPECT_FALSE(ParseTarget("/a%00b").ok());
  EXPECT_FALSE(ParseTarget("http://example.com/").ok());
  EXPECT_FALSE(ParseTarget("").ok());
  EXPECT_EQ(PercentEncode("a b/ü"), "a%20b%2F%C3%BC");
}

TEST(RequestTarget, ResolveUnderRefusesDotDotAbsoluteAndSymlinksOut) {
  TempDir d;
  fs::path root = d.path() / "results";
  Write(root / "runs/1/report.html", "r");
  Write(d.path() / "secret.txt", "s");
  fs::create_directory_symlink(d.path(), root / "runs/1/out");
  fs::create_symlink(root / "runs/1/report.html", root / "runs/1/link.html");
  EXPECT_TRUE(ResolveUnder(root, "runs/1/report.html").ok());
  EXPECT_TRUE(ResolveUnder(root, "runs/1/link.html").ok()) << "a symlink inside stays inside";
  EXPECT_TRUE(ResolveUnder(root, "").ok());
  for (const char* bad : {"../secret.txt", "runs/../../secret.txt", "runs/1/..", "./runs",
                          "/etc/passwd", "runs/1/out/secret.txt"}) {
    Result<fs::path> r = ResolveUnder(root, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ResolveUnder(root, "runs/2/x").status().code(), StatusCode::kNotFound);
}

// A store with four runs (results/faultline.db) and run 2's folder.
class SiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "results";
    fs::create_directories(root_);
    store_path_ = (root_ / "faultline.db").string();
    {
      auto w = HistoryStore::Open(store_path_);
      ASSERT_TRUE(w.ok());
      HistoryStore& s = **w;
      AddRun(s, "quick", "zabd", "valid", kRunFinished, "kill", false);
      AddRun(s, "nightly", "zabd", "invalid", kRunFinished, "partition", true);
      AddRun(s, "quick", "etcd", "", kRunInterrupted, "pause", false);
      AddRun(s, "q<b>", "zabd", "invalid", kRunFinished, "kill", true);
    }
    Write(root_ / "runs/2/report.html", "<p>the report from the folder</p>");
    Write(root_ / "runs/2/junit.xml", "<testsuites/>");
    Write(root_ / "runs/2/node-1/events.jsonl", "{}\n");
    Write(dir_.path() / "secret.txt", "top secret");
    fs::create_directory_symlink(dir_.path(), root_ / "runs/2/escape");
    auto r = HistoryStore::OpenExisting(store_path_);
    ASSERT_TRUE(r.ok());
    store_ = std::move(r).value();
    SiteOptions o;
    o.store_path = store_path_;
    o.results_dir = root_;
    o.now_ms = [] { return kT0Ms + 3'600'000; };
    site_ = std::make_unique<Site>(store_.get(), o);
  }

  void AddRun(HistoryStore& s, const std::string& suite, const std::string& system,
              const std::string& verdict, const std::string& status, const std::string& fault,
              bool anomaly) {
    RunRecord r;
    r.suite = suite;
    r.system = system;
    r.spec_text = "name: " + suite + "\nsystem:\n  kind: " + system + "\n";
    r.seed = 40 + next_;
    r.started_ms = kT0Ms + next_ * 60'000;
    int64_t id = *s.CreateRun(r);
    ASSERT_TRUE(s.SetRunFolder(id, (root_ / "runs" / std::to_string(id)).string()).ok());
    int64_t t0 = r.started_ms * kMs;
    s.RecordFaultStart(id, FaultRecord{0, fault, {1}, t0 + 1000 * kMs, {}, fault + " n1", "{}"});
    s.RecordFaultStop(id, 0, t0 + 3000 * kMs);
    s.RecordFaultStart(id, FaultRecord{1, "restart", {2}, t0 + 5000 * kMs, {}, "restart", "{}"});
    s.RecordFaultStop(id, 1, t0 + 6000 * kMs);
    checkers::Op op;
    op.index = 0;
    op.process = 1;
    op.f = checkers::Fn::kWrite;
    op.key = "k1";
    op.value = "1";
    op.invoke_ns = t0 + 100 * kMs;
    s.RecordInvoke(id, op);
    s.RecordCompletion(id, 0, checkers::Outcome::kOk, t0 + 110 * kMs, {}, {}, {}, "");
    ASSERT_TRUE(s.Flush().ok());
    if (anomaly) {
      checkers::Anomaly a;
      a.checker = "lost-write";
      a.key = "k1";
      a.description = "acknowledged write of 1 lost <em>";
      a.start_ns = t0 + 2000 * kMs;
      a.end_ns = t0 + 2500 * kMs;
      checkers::Anomaly late = a;
      late.checker = "linearizability";
      late.start_ns = late.end_ns = t0 + 8000 * kMs;
      ASSERT_TRUE(s.StoreCheck(id, {"lost-writes", "invalid", "1 lost", {a}}).ok());
      ASSERT_TRUE(s.StoreCheck(id, {"linearizability", "invalid", "1 key", {late}}).ok());
    }
    ASSERT_TRUE(s.FinishRun(id, status, verdict, "summary of run").ok());
    ++next_;
  }

  HttpResponse Get(const std::string& target) { return site_->Handle({"GET", target}); }
  std::vector<std::string> RunIds(const std::string& body) {
    std::vector<std::string> ids;
    for (size_t p = body.find("data-run=\""); p != std::string::npos;
         p = body.find("data-run=\"", p + 1)) {
      ids.push_back(body.substr(p + 10, body.find('"', p + 10) - p - 10));
    }
    return ids;
  }

  TempDir dir_;
  fs::path root_;
  std::string store_path_;
  std::unique_ptr<HistoryStore> store_;
  std::unique_ptr<Site> site_;
  int next_ = 0;
};

TEST_F(SiteTest, RunsPageListsRunsWithVerdictsNewestFirstAndEscapesStoredText) {
  HttpResponse r = Get("/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RunIds(r.body), (std::vector<std::string>{"4", "3", "2", "1"}));
  EXPECT_NE(r.body.find("data-run=\"2\" data-verdict=\"invalid\" data-status=\"finished\""),
            std::string::npos);
  EXPECT_NE(r.body.find("data-run=\"3\" data-verdict=\"\" data-status=\"interrupted\""),
            std::string::npos);
  EXPECT_NE(r.body.find("id=\"filters\""), std::string::npos);
  EXPECT_EQ(r.body.find("q<b>"), std::string::npos);
  EXPECT_NE(r.body.find("q&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
  EXPECT_EQ(Get("/runs").body, r.body);
}

TEST_F(SiteTest, EveryRunsFilterSelects) {
  auto ids = [&](const std::string& q) { return RunIds(Get("/runs?" + q).body); };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("suite=quick"), (V{"3", "1"}));
  EXPECT_EQ(ids("system=etcd"), (V{"3"}));
  EXPECT_EQ(ids("verdict=invalid"), (V{"4", "2"}));
  EXPECT_EQ(ids("status=interrupted"), (V{"3"}));
  EXPECT_EQ(ids("anomaly=lost-write"), (V{"4", "2"}));
  EXPECT_EQ(ids("fault=pause"), (V{"3"}));
  EXPECT_EQ(ids("since=2026-12-01T20:00"), (V{"4", "3"}));  // runs start 19:58:45 + 1 min each
  EXPECT_EQ(ids("until=2026-12-01+20:00"), (V{"2", "1"}));
  EXPECT_EQ(ids("since=59m"), (V{"4", "3", "2"}));  // now = run 1 + 60 min
  EXPECT_EQ(ids("suite=quick&verdict=valid&fault=kill"), (V{"1"}));
  EXPECT_EQ(ids("limit=2"), (V{"4", "3"}));
  EXPECT_EQ(ids("status=crashed"), V{});
  HttpResponse bad = Get("/runs?verdict=maybe");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("verdict &#39;maybe&#39;"), std::string::npos) << bad.body;
  EXPECT_EQ(Get("/runs?since=soon").status, 400);
  HttpResponse json = Get("/api/runs?suite=nightly");
  EXPECT_EQ(json.content_type, "application/json; charset=utf-8");
  EXPECT_NE(json.body.find("\"id\": 2"), std::string::npos) << json.body;
  EXPECT_EQ(json.body.find("\"id\": 1"), std::string::npos);
}

// serve asks harness/query (one semantics with `faultline runs`, docs/store-schema.md "Queries"):
// until is exclusive, limit 0 is every run, an empty form field is no filter. serve's own copy of
// the queries had until inclusive and limits 1..10000 (default 100).
TEST_F(SiteTest, FiltersMeanWhatTheQueryCommandsMean) {
  auto ids = [&](const std::string& q) { return RunIds(Get("/runs?" + q).body); };
  using V = std::vector<std::string>;
  // now = run 1 + 60 min, so "59m" is run 2's start to the millisecond.
  EXPECT_EQ(ids("until=59m"), (V{"1"}));
  EXPECT_EQ(ids("since=59m"), (V{"4", "3", "2"}));
  EXPECT_EQ(ids("limit=0"), (V{"4", "3", "2", "1"}));
  EXPECT_EQ(ids("suite=&system=&verdict=&status=&since=&until=&anomaly=&fault=&limit="),
            (V{"4", "3", "2", "1"}));
  EXPECT_EQ(ids("verdict=none"), (V{"3"}));  // never checked
  HttpResponse form = Get("/runs");
  EXPECT_NE(form.body.find("name=\"limit\" value=\"50\""), std::string::npos)
      << "the query library's default limit";
  for (const char* bad : {"until=soon", "since=1h&until=2h", "limit=-1", "colour=red"}) {
    EXPECT_EQ(Get(std::string("/runs?") + bad).status, 400) << bad;
  }
  const std::string json = Get("/api/runs?until=59m").body;
  EXPECT_NE(json.find("\"anomaly_count\""), std::string::npos) << "faultline runs --json's shape";
  EXPECT_EQ(json.find("\"id\": 2"), std::string::npos) << json;
}

TEST_F(SiteTest, RunReportComesFromTheFolderOrIsRenderedOnDemand) {
  HttpResponse folder = Get("/runs/2/");
  ASSERT_EQ(folder.status, 200);
  EXPECT_EQ(folder.body, "<p>the report from the folder</p>");  // no <body>: as it is
  EXPECT_EQ(Get("/runs/2/report.html").body, folder.body);
  HttpResponse fresh = Get("/runs/2/?fresh=1");
  EXPECT_NE(fresh.body.find("id=\"verdict\" data-verdict=\"invalid\""), std::string::npos);
  HttpResponse rendered = Get("/runs/1/");  // no folder on disk
  ASSERT_EQ(rendered.status, 200) << rendered.body;
  EXPECT_NE(rendered.body.find("id=\"verdict\" data-verdict=\"valid\""), std::string::npos);
  EXPECT_NE(rendered.body.find("<body><div id=\"serve-nav\""), std::string::npos)
      << "a served report links back to the runs";
  EXPECT_EQ(Get("/runs/2").status, 301);
  EXPECT_EQ(Get("/runs/99/").status, 404);
  EXPECT_EQ(Get("/runs/abc/").status, 404);
  HttpResponse junit = Get("/runs/2/junit.xml");
  EXPECT_EQ(junit.status, 200);
  EXPECT_EQ(junit.content_type, "application/xml; charset=utf-8");
  EXPECT_EQ(Get("/runs/2/node-1/events.jsonl").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Get("/runs/1/junit.xml").status, 404);
  bool policy = false;
  for (const auto& [name, value] : folder.headers) {
    policy = policy || (name == "Content-Security-Policy" &&
                        value.find("default-src 'none'") != std::string::npos);
  }
  EXPECT_TRUE(policy) << "served files may not run scripts";
}

TEST_F(SiteTest, ARunStillGoingIsRenderedFreshNotServedFromAStaleFile) {
  auto w = HistoryStore::Open(store_path_);
  ASSERT_TRUE(w.ok());
  RunRecord r;
  r.suite = "live";
  r.spec_text = "name: live\n";
  r.started_ms = kT0Ms;
  int64_t id = *(*w)->CreateRun(r);  // this process is its controller: it is running
  ASSERT_TRUE((*w)->SetRunFolder(id, (root_ / "runs" / std::to_string(id)).string()).ok());
  Write(root_ / "runs" / std::to_string(id) / "report.html", "<p>stale</p>");
  HttpResponse page = Get("/runs/" + std::to_string(id) + "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("data-status=\"running\""), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("stale"), std::string::npos);
  EXPECT_NE(Get("/runs?status=running").body.find("data-run=\"" + std::to_string(id) + "\""),
            std::string::npos);
  ASSERT_TRUE((*w)->FinishRun(id, kRunFinished, "valid", "").ok());
}

TEST_F(SiteTest, PathsOutsideTheResultsFolderAreRefused) {
  for (const char* target :
       {"/results/../secret.txt", "/results/%2e%2e/secret.txt", "/results/%2E%2E/secret.txt",
        "/results/runs/%2e%2e/%2e%2e/secret.txt", "/results/..%2fsecret.txt",
        "/results//etc/passwd", "/results/%2fetc%2fpasswd", "/runs/2/../../../secret.txt",
        "/runs/2/%2e%2e/%2e%2e/%2e%2e/secret.txt", "/runs/2/%2fetc%2fpasswd",
        "/runs/2/escape/secret.txt", "/results/runs/2/escape/secret.txt",
        "/results/runs/2/escape/"}) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 403) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << target;
  }
  EXPECT_EQ(Get("/results/%zz").status, 400);
  EXPECT_EQ(Get("/results/a%00b").status, 400);
  EXPECT_EQ(Get("/results/runs/2/junit.xml").status, 200);
  HttpResponse listing = Get("/results/runs/2/");
  EXPECT_EQ(listing.status, 200);
  EXPECT_NE(listing.body.find("href=\"junit.xml\""), std::string::npos);
  EXPECT_EQ(Get("/results/runs/2").status, 301);
  EXPECT_EQ(Get("/results/nothing-here").status, 404);
  EXPECT_EQ(Get("/elsewhere").status, 404);
}

TEST_F(SiteTest, AnomaliesAreGroupedByKindAndTheFaultsActiveThen) {
  HttpResponse r = Get("/anomalies");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("data-kind=\"lost-write\" data-faults=\"partition\""), std::string::npos);
  EXPECT_NE(r.body.find("data-kind=\"lost-write\" data-faults=\"kill\""), std::string::npos);
  EXPECT_NE(r.body.find("data-kind=\"linearizability\" data-faults=\"none\""), std::string::npos);
  EXPECT_NE(r.body.find("+2.00s..+2.50s"), std::string::npos) << "offsets from the run's start";
  EXPECT_NE(r.body.find("href=\"/runs/2/#anomaly-1\">lost-write"), std::string::npos)
      << "each anomaly links to its section of the report";
  EXPECT_NE(r.body.find("href=\"/runs/2/#anomaly-2\">linearizability"), std::string::npos);
  EXPECT_EQ(r.body.find("+-"), std::string::npos);
  EXPECT_EQ(r.body.find("lost <em>"), std::string::npos);
  std::string active = Get("/anomalies?fault=partition").body;
  EXPECT_EQ(RunIds(active.substr(active.find("id=\"anomalies\""))),
            (std::vector<std::string>{"2"}));
  std::string kind = Get("/anomalies?anomaly=linearizability").body;
  EXPECT_EQ(kind.find("data-kind=\"lost-write\""), std::string::npos);
  EXPECT_EQ(Get("/anomalies?limit=x").status, 400);
}

TEST_F(SiteTest, TrendsAreComputeTrendsPerSuiteAndSystemWithFlakySpecs) {
  {
    auto w = HistoryStore::Open(store_path_);
    ASSERT_TRUE(w.ok());
    AddRun(**w, "quick", "zabd", "invalid", kRunFinished, "kill", true);  // run 1's spec again
  }
  HttpResponse r = Get("/trends");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("data-suite=\"quick\" data-system=\"zabd\" data-flaky=\"true\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("data-suite=\"nightly\" data-system=\"zabd\" data-flaky=\"false\""),
            std::string::npos);
  // Finished runs only (trends' definition): run 3 (quick on etcd, interrupted) is not a point.
  EXPECT_EQ(r.body.find("data-system=\"etcd\""), std::string::npos);
  EXPECT_EQ(r.body.find("href=\"/runs/3/\""), std::string::npos);
  std::string only = Get("/trends?suite=nightly").body;
  EXPECT_EQ(only.find("data-suite=\"quick\""), std::string::npos);
  EXPECT_EQ(Get("/trends?since=later").status, 400);
}

// ---- the HTTP server on loopback

// Connects to 127.0.0.1:port; -1 on failure.
int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{60, 0};  // generous: the machine may be loaded
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `data` (ignoring a peer that closed early) and reads until the server closes.
std::string SendAndRead(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Exchange(uint16_t port, const std::string& data) {
  int fd = Connect(port);
  if (fd < 0) return "connect failed";
  std::string out = SendAndRead(fd, data);
  close(fd);
  return out;
}

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o) {
    o.port = 0;
    auto s = HttpServer::Start(o, [this](const HttpRequest& r) {
      ++handled_;
      if (r.target == "/throw") throw std::runtime_error("boom");
      HttpResponse res;
      res.content_type = "text/plain";
      res.body = r.method + " " + r.target;
      return res;
    });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
  }
  std::string Ok() {
    return Exchange(server_->port(), "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  std::atomic<int> handled_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, AnswersGetAndHeadOnLoopbackAndRefusesOtherMethods) {
  Start({});
  std::string r = Ok();
  EXPECT_EQ(StatusLine(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\n\r\nGET /ok"), std::string::npos) << r;
  std::string head =
      Exchange(server_->port(), "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(StatusLine(head), "HTTP/1.1 200 OK");
  EXPECT_NE(head.find("Content-Length: 7"), std::string::npos) << head;
  EXPECT_EQ(head.find("HEAD /h", head.find("\r\n\r\n")), std::string::npos) << "no body";
  std::string post =
      Exchange(server_->port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(StatusLine(post), "HTTP/1.1 405 Method Not Allowed");
  // Two requests on one keep-alive connection.
  std::string two = Exchange(server_->port(),
                             "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n"
                             "Connection: close\r\n\r\n");
  EXPECT_NE(two.find("GET /a"), std::string::npos);
  EXPECT_NE(two.find("GET /b"), std::string::npos);
}

TEST_F(ServerTest, BadRequestsGetA4xxAndTheServerKeepsServing) {
  Start({});
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "NONSENSE\r\n\r\n")).substr(9, 3), "400");
  EXPECT_EQ(StatusLine(Exchange(server_->port(), "GET / HTTP/9.9\r\n\r\n")).substr(9, 3), "400");
  EXPECT_EQ(StatusLine(Exchange(server_->port(), std::string("GET /\0 HTTP/1.1\r\n\r\n", 20)))
                .substr(9, 3),
            "400");
  std::string huge =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200'000, 'a') + "\r\n\r\n";
  EXPECT_EQ(StatusLine(Exchange(server_->port(), huge)).substr(9, 3), "431");
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 5000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusLine(Exchange(server_->port(), many + "\r\n")).substr(9, 3), "431");
  std::string body = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nxx";
  EXPECT_EQ(StatusLine(Exchange(server_->port(), body)).substr(9, 3), "413");
  EXPECT_EQ(StatusLine(Exchange(server_->port(),
                                "GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(StatusLine(Ok()), "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, HalfSentRequestsAreDroppedAfterTheTimeoutWithoutBlockingOthers) {
  HttpServerOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  Start(o);
  std::vector<int> stalled;
  for (int i = 0; i < 5; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    std::string part = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Half: ";
    send(fd, part.data(), part.size(), MSG_NOSIGNAL);
    stalled.push_back(fd);
  }
  EXPECT_EQ(StatusLine(Ok()), "HTTP/1.1 200 OK") << "stalled clients do not block others";
  for (int fd : stalled) {
    // The server closes the connection (recv sees EOF, no reply) rather than waiting forever.
    EXPECT_EQ(SendAndRead(fd, ""), "");
    close(fd);
  }
  EXPECT_EQ(handled_.load(), 1);
}

TEST_F(ServerTest, MoreConnectionsThanItTakesGet503AndItRecovers) {
  HttpServerOptions o;
  o.max_connections = 8;
  Start(o);
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    send(fd, "G", 1, MSG_NOSIGNAL);  // a request begun: the session is certainly accepted
    idle.push_back(fd);
  }
  // Wait (generously) until the server has counted them, then the next one is turned away.
  std::string busy;
  for (int i = 0; i < 600; ++i) {
    busy = Ok();
    if (StatusLine(busy).find("503") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(StatusLine(busy), "HTTP/1.1 503 Service Unavailable");
  for (int fd : idle) close(fd);
  std::string again;
  for (int i = 0; i < 600; ++i) {
    again = Ok();
    if (StatusLine(again) == "HTTP/1.1 200 OK") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(StatusLine(again), "HTTP/1.1 200 OK");
  // And many clients at once, each answered or turned away, never a crash.
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int i = 0; i < 40; ++i) {
    clients.emplace_back([&] {
      std::string s = StatusLine(Ok());
      if (s == "HTTP/1.1 200 OK" || s == "HTTP/1.1 503 Service Unavailable") ++answered;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), 40);
  EXPECT_EQ(StatusLine(Ok()), "HTTP/1.1 200 OK");
}

TEST(Server, BindErrorsNameTheAddress) {
  HttpServerOptions o;
  o.bind = "not-an-ip";
  auto s = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not-an-ip"), std::string::npos);
  o.bind = "127.0.0.1";
  o.port = 0;
  auto first = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(first.ok());
  o.port = (*first)->port();
  auto second = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(std::to_string(o.port)), std::string::npos);
}

}  // namespace
}  // namespace faultline::harness::serve
