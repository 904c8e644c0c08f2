#include "harness/systems/zookeeper/zk_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::harness::zookeeper {
namespace {

namespace fs = std::filesystem;

ZkNodeConfig Node2(const std::string& dir) {
  ZkNodeConfig n;
  n.id = 2;
  n.dir = dir;
  n.client = {"127.0.0.12", 2181};
  for (int id = 1; id <= 3; ++id) {
    const std::string host = "127.0.0.1" + std::to_string(id);
    n.servers[id] = {{host, 2888}, {host, 3888}};
  }
  return n;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HasLine(const std::string& text, const std::string& line) {
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(ZooKeeperConfig, ZooCfgListsEveryServerFsyncsAndKeepsTheAdminServerOff) {
  const std::string cfg = RenderZooCfg(Node2("/r/node-2"));
  for (const char* line :
       {"tickTime=200", "initLimit=10", "syncLimit=5", "dataDir=/r/node-2/data",
        "dataLogDir=/r/node-2/datalog", "clientPortAddress=127.0.0.12", "clientPort=2181",
        "forceSync=yes", "admin.enableServer=false", "4lw.commands.whitelist=srvr,mntr,ruok",
        "standaloneEnabled=false", "minSessionTimeout=400", "maxSessionTimeout=4000",
        "server.1=127.0.0.11:2888:3888:participant", "server.2=127.0.0.12:2888:3888:participant",
        "server.3=127.0.0.13:2888:3888:participant"}) {
    EXPECT_TRUE(HasLine(cfg, line)) << line << "\n" << cfg;
  }
}

TEST(ZooKeeperConfig, ProxyRoutesAndExtraLinesGoInTheServerList) {
  ZkNodeConfig n = Node2("/r/node-2");
  n.servers[3] = {{"127.0.0.1", 40001}, {"127.0.0.1", 40002}};  // link 2 -> 3 through the proxy
  n.timings.tick_time_ms = 100;
  n.extra_config = {"snapCount=1000"};
  const std::string cfg = RenderZooCfg(n);
  EXPECT_TRUE(HasLine(cfg, "server.3=127.0.0.1:40001:40002:participant")) << cfg;
  EXPECT_TRUE(HasLine(cfg, "tickTime=100"));
  EXPECT_TRUE(HasLine(cfg, "maxSessionTimeout=2000"));
  EXPECT_TRUE(HasLine(cfg, "snapCount=1000"));
}

TEST(ZooKeeperConfig, Log4jWritesTheImportersLayoutToTheNodeFolder) {
  const std::string props = RenderLog4jProperties("/r/node-2/zookeeper.log");
  EXPECT_TRUE(HasLine(props, "log4j.rootLogger=INFO, FILE"));
  EXPECT_TRUE(HasLine(props, "log4j.appender.FILE.File=/r/node-2/zookeeper.log"));
  EXPECT_TRUE(
      HasLine(props, "log4j.logger.org.apache.zookeeper.server.quorum.LearnerHandler=DEBUG"));
  EXPECT_TRUE(
      HasLine(props, std::string("log4j.appender.FILE.layout.ConversionPattern=") + kLog4jPattern));
}

TEST(ZooKeeperConfig, JavaCommandRunsQuorumPeerMainDirectly) {
  ZkInstall install{"/usr/bin/java", {"/a.jar", "/b.jar"}};
  ZkNodeConfig n = Node2("/r/node-2");
  auto argv = JavaCommand(install, n, JvmOptions(n, JvmProfile::kChaos));
  ASSERT_GE(argv.size(), 5u);
  EXPECT_EQ(argv.front(), "/usr/bin/java");
  EXPECT_EQ(argv[argv.size() - 4], "-cp");
  EXPECT_EQ(argv[argv.size() - 3], "/a.jar:/b.jar");
  EXPECT_EQ(argv[argv.size() - 2], "org.apache.zookeeper.server.quorum.QuorumPeerMain");
  EXPECT_EQ(argv.back(), "/r/node-2/zoo.cfg");
  EXPECT_NE(
      std::find(argv.begin(), argv.end(), "-Dlog4j.configuration=file:/r/node-2/log4j.properties"),
      argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-Dzookeeper.cnxTimeout=1000"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-XX:+UseSerialGC"), argv.end());
  auto packaged = JvmOptions(n, JvmProfile::kPackaged);
  EXPECT_EQ(std::find_if(packaged.begin(), packaged.end(),
                         [](const std::string& o) { return o.rfind("-X", 0) == 0; }),
            packaged.end());
  EXPECT_NE(std::find(packaged.begin(), packaged.end(),
                      "-Dlog4j.configuration=file:/r/node-2/log4j.properties"),
            packaged.end());
}

TEST(ZooKeeperConfig, WriteNodeFilesCreatesTheLayout) {
  char tmpl[] = "/tmp/zk_config_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/node-2";
  ZkNodeConfig n = Node2(dir);
  ASSERT_TRUE(WriteNodeFiles(n).ok());
  EXPECT_EQ(Read(dir + "/data/myid"), "2\n");
  EXPECT_EQ(Read(dir + "/zoo.cfg"), RenderZooCfg(n));
  EXPECT_TRUE(fs::is_directory(dir + "/datalog"));
  EXPECT_EQ(Read(dir + "/log4j.properties"), RenderLog4jProperties(dir + "/zookeeper.log"));
  fs::remove_all(tmpl);
}

TEST(ZooKeeperConfig, BadNodeConfigsAreRejectedWithTheReason) {
  ZkNodeConfig n = Node2("/nonexistent/never");
  n.servers.erase(2);
  Status s = WriteNodeFiles(n);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not in its own server list"), std::string::npos) << s.ToString();
  n = Node2("/nonexistent/never");
  n.servers[3].election = {"127.0.0.1", 3888};
  s = WriteNodeFiles(n);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("server.3"), std::string::npos) << s.ToString();
  n = Node2("/proc/no-such-dir-allowed");
  EXPECT_EQ(WriteNodeFiles(n).code(), StatusCode::kIoError);
}

TEST(ZooKeeperConfig, DetectFindsTheDebianInstallOrSaysWhatIsMissing) {
  auto install = ZkInstall::Detect();
  if (!install.ok()) {
    EXPECT_EQ(install.status().code(), StatusCode::kNotFound);
    EXPECT_NE(install.status().message().find("Debian package"), std::string::npos);
    GTEST_SKIP() << install.status().ToString();
  }
  EXPECT_FALSE(install->java.empty());
  EXPECT_EQ(install->classpath.front(), "/usr/share/java/zookeeper.jar");
}

}  // namespace
}  // namespace faultline::harness::zookeeper
