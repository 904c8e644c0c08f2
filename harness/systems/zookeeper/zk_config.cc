#include "harness/systems/zookeeper/zk_config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace faultline::harness::zookeeper {
namespace {

namespace fs = std::filesystem;

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Status::IoError(fmt::format("cannot write {}", path));
  return Status::Ok();
}

std::string Executable(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(pos, end - pos) + "/" + name;
    if (end > pos && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    pos = end + 1;
  }
  return "";
}

}  // namespace

std::string ZooCfgPath(const ZkNodeConfig& node) { return node.dir + "/zoo.cfg"; }
std::string ServerLogPath(const std::string& node_dir) { return node_dir + "/zookeeper.log"; }
std::string StdoutPath(const std::string& node_dir) { return node_dir + "/" + kJvmLogFile; }

std::string RenderZooCfg(const ZkNodeConfig& node) {
  const ZkTimings& t = node.timings;
  std::string out = fmt::format(
      "# Written by faultline for node {} (rewritten before every start).\n"
      "tickTime={}\n"
      "initLimit={}\n"
      "syncLimit={}\n"
      "dataDir={}/data\n"
      "dataLogDir={}/datalog\n"
      "clientPortAddress={}\n"
      "clientPort={}\n"
      // Nothing is acknowledged before the txn log is on disk (the same promise zabd makes).
      "forceSync=yes\n"
      "admin.enableServer=false\n"
      "4lw.commands.whitelist=srvr,mntr,ruok\n"
      // A 1-node ensemble still runs the quorum code (and logs like the others).
      "standaloneEnabled=false\n"
      "reconfigEnabled=false\n"
      "quorumListenOnAllIPs=false\n"
      // Client sessions: 2..20 ticks (400 ms .. 4 s with the defaults).
      "minSessionTimeout={}\n"
      "maxSessionTimeout={}\n",
      node.id, t.tick_time_ms, t.init_limit, t.sync_limit, node.dir, node.dir, node.client.host,
      node.client.port, 2 * t.tick_time_ms, 20 * t.tick_time_ms);
  // One host per server line: the election endpoint shares the quorum endpoint's host (the
  // proxy listens on one host for both; WriteNodeFiles checks).
  for (const auto& [id, s] : node.servers) {
    out += fmt::format("server.{}={}:{}:{}:participant\n", id, s.quorum.host, s.quorum.port,
                       s.election.port);
  }
  for (const std::string& line : node.extra_config) out += line + "\n";
  return out;
}

std::string RenderLog4jProperties(const std::string& log_file) {
  return fmt::format(
      "# Written by faultline: the server log the ZooKeeper importer reads "
      "(harness/systems/zookeeper/log_import.h).\n"
      "log4j.rootLogger=INFO, FILE\n"
      "# Sync decisions the leader logs only at DEBUG (TRUNC for a peer ahead of the committed\n"
      "# log, the last zxid queued); this logger writes nothing per request.\n"
      "log4j.logger.org.apache.zookeeper.server.quorum.LearnerHandler=DEBUG\n"
      "log4j.appender.FILE=org.apache.log4j.FileAppender\n"
      "log4j.appender.FILE.File={}\n"
      "log4j.appender.FILE.Append=true\n"
      "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
      "log4j.appender.FILE.layout.ConversionPattern={}\n",
      log_file, kLog4jPattern);
}

Result<ZkInstall> ZkInstall::Detect() {
  ZkInstall install;
  install.java = Executable("java");
  if (install.java.empty() && ::access("/usr/bin/java", X_OK) == 0) install.java = "/usr/bin/java";
  if (install.java.empty()) {
    return Status::NotFound("java not found on PATH (Debian package default-jre-headless)");
  }
  struct Jar {
    const char* path;
    const char* package;
  };
  for (const Jar& jar : {Jar{"/usr/share/java/zookeeper.jar", "zookeeper"},
                         Jar{"/usr/share/java/slf4j-log4j12.jar", "libslf4j-java"},
                         Jar{"/usr/share/java/log4j-1.2.jar", "liblog4j1.2-java"}}) {
    if (::access(jar.path, R_OK) != 0) {
      return Status::NotFound(
          fmt::format("{} not found (Debian package {})", jar.path, jar.package));
    }
    install.classpath.push_back(jar.path);
  }
  return install;
}

std::vector<std::string> JvmOptions(const ZkNodeConfig& node, JvmProfile profile) {
  std::vector<std::string> options;
  if (profile == JvmProfile::kChaos) options = {"-Xms64m", "-Xmx256m", "-XX:+UseSerialGC"};
  options.insert(
      options.end(),
      {
          "-Djava.net.preferIPv4Stack=true",
          "-Duser.timezone=UTC",
          "-Dzookeeper.jmx.log4j.disable=true",
          fmt::format("-Dzookeeper.cnxTimeout={}", node.timings.election_connect_timeout_ms),
          fmt::format("-Dlog4j.configuration=file:{}/log4j.properties", node.dir),
      });
  return options;
}

std::vector<std::string> JavaCommand(const ZkInstall& install, const ZkNodeConfig& node,
                                     const std::vector<std::string>& jvm_options) {
  std::vector<std::string> argv = {install.java};
  argv.insert(argv.end(), jvm_options.begin(), jvm_options.end());
  std::string cp;
  for (const std::string& jar : install.classpath) cp += (cp.empty() ? "" : ":") + jar;
  argv.insert(argv.end(), {"-cp", cp, kMainClass, ZooCfgPath(node)});
  return argv;
}

Status WriteNodeFiles(const ZkNodeConfig& node) {
  if (node.id <= 0) return Status::InvalidArgument(fmt::format("bad node id {}", node.id));
  auto self = node.servers.find(node.id);
  if (self == node.servers.end()) {
    return Status::InvalidArgument(fmt::format("node {} is not in its own server list", node.id));
  }
  for (const auto& [id, s] : node.servers) {
    if (s.quorum.port == 0 || s.election.port == 0 || s.quorum.host != s.election.host) {
      return Status::InvalidArgument(fmt::format(
          "node {}: server.{} needs quorum and election ports on one host (got {} and {})", node.id,
          id, s.quorum.ToString(), s.election.ToString()));
    }
  }
  std::error_code ec;
  for (const char* sub : {"/data", "/datalog"}) {
    fs::create_directories(node.dir + sub, ec);
    if (ec)
      return Status::IoError(fmt::format("cannot create {}{}: {}", node.dir, sub, ec.message()));
  }
  Status s = WriteFile(node.dir + "/data/myid", fmt::format("{}\n", node.id));
  if (s.ok()) s = WriteFile(ZooCfgPath(node), RenderZooCfg(node));
  if (s.ok())
    s = WriteFile(node.dir + "/log4j.properties", RenderLog4jProperties(ServerLogPath(node.dir)));
  return s;
}

}  // namespace faultline::harness::zookeeper
