// Storage behaviour on MemEnv (crashable) and PosixEnv.
#include "server/storage/storage.h"

#include <gtest/gtest.h>

#include "server/storage/mem_env.h"

namespace storage {
namespace {

TEST(StorageTest, AppendSyncReopenRoundTrip) {
  MemEnv env;
  Recovered rec;
  auto st = Storage::Open(&env, "/db", Options{}, &rec);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE(st.value()->WriteAcceptedEpoch(1).ok());
  ASSERT_TRUE(st.value()->WriteCurrentEpoch(1).ok());
  ASSERT_TRUE(st.value()->Append({(1ull << 32) | 1, "a"}).ok());
  ASSERT_TRUE(st.value()->Sync().ok());
  st.value().reset();
  auto again = Storage::Open(&env, "/db", Options{}, &rec);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(rec.log.size(), 1u);
}

}  // namespace
}  // namespace storage
