// The stream's publisher runs jobs in the order they were handed over, at most `capacity`
// waiting; after a failed job it publishes nothing more, and Drop tells how many events were
// not published (to be read again) and clears only a lost compare-and-set.
#include "stream_publisher.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace fst::ingest::internal {
namespace {

PublishJob Job(int64_t first, int64_t events) {
  PublishJob job;
  for (int64_t offset = first; offset < first + events; ++offset) {
    job.messages.emplace_back(0, offset, nullptr, "{}");
  }
  job.offsets.push_back({"t", 0, first, first + events});
  return job;
}

TEST(StreamPublisher, PublishesJobsInOrder) {
  std::vector<int64_t> seen;  // written by the publisher's thread, read after Wait
  StreamPublisher publisher(
      [&](const PublishJob& job) {
        seen.push_back(job.offsets[0].expected);
        return Status::OK();
      },
      1);
  for (int64_t k = 0; k < 20; ++k) publisher.Add(Job(k * 3, 3));
  ASSERT_TRUE(publisher.Wait().ok());
  ASSERT_EQ(seen.size(), 20u);
  for (int64_t k = 0; k < 20; ++k) EXPECT_EQ(seen[static_cast<size_t>(k)], k * 3);
  EXPECT_EQ(publisher.Drop(), 0);
}

TEST(StreamPublisher, AtMostCapacityJobsWait) {
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  StreamPublisher publisher(
      [&](const PublishJob&) {
        ++started;
        while (!release.load()) std::this_thread::yield();
        return Status::OK();
      },
      1);
  publisher.Add(Job(0, 1));  // taken by the thread, which then waits
  while (started.load() == 0) std::this_thread::yield();
  publisher.Add(Job(1, 1));  // waits
  std::atomic<bool> third_added{false};
  std::thread adder([&] {
    publisher.Add(Job(2, 1));  // blocks until the second job is taken
    third_added = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(third_added.load());
  release = true;
  adder.join();
  EXPECT_TRUE(publisher.Wait().ok());
  EXPECT_EQ(started.load(), 3);
}

TEST(StreamPublisher, AfterALostCompareAndSetNothingIsPublishedUntilDrop) {
  std::vector<int64_t> seen;
  StreamPublisher publisher(
      [&](const PublishJob& job) -> Status {
        seen.push_back(job.offsets[0].expected);
        if (seen.size() == 2) return Status::Cancelled("another member published");
        return Status::OK();
      },
      4);
  publisher.Add(Job(0, 5));
  publisher.Add(Job(5, 2));  // fails
  EXPECT_TRUE(publisher.Wait().IsCancelled());
  publisher.Add(Job(7, 3));  // dropped: it would start where the failed one did not record
  EXPECT_TRUE(publisher.error().IsCancelled());
  EXPECT_EQ(publisher.Drop(), 2 + 3);
  EXPECT_TRUE(publisher.error().ok());
  publisher.Add(Job(5, 2 + 3 + 1));
  ASSERT_TRUE(publisher.Wait().ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 5, 5}));
}

TEST(StreamPublisher, OtherErrorsStayAfterDrop) {
  StreamPublisher publisher([](const PublishJob&) { return Status::IOError("disk full"); }, 1);
  publisher.Add(Job(0, 4));
  EXPECT_TRUE(publisher.Wait().IsIOError());
  EXPECT_EQ(publisher.Drop(), 4);
  EXPECT_TRUE(publisher.error().IsIOError());
  publisher.Add(Job(4, 1));
  EXPECT_EQ(publisher.Drop(), 1);
}

}  // namespace
}  // namespace fst::ingest::internal
