#include "search/work_item.h"

#include <gtest/gtest.h>

#include "cluster/mpi_messages.h"
#include "core/error.h"

namespace evomem::cluster {
namespace {

search::WorkItem sample_item() {
  search::WorkItem item;
  item.id = 41;
  item.generation = 7;
  item.candidate = 3;
  item.batch = 2;
  item.kind = 5;
  item.genome = {0.25, -1.5, 1e-300, 3.0};
  return item;
}

search::ItemResult sample_result() {
  search::ItemResult result;
  result.id = 41;
  result.ok = false;
  result.error = "worker 3: out of memory";
  result.values = {1.0, 2.5, -0.125};
  result.seconds = 12.75;
  result.worker = 3;
  result.attempts = 2;
  return result;
}

TEST(WorkItemEncoding, ItemRoundTrips) {
  const search::WorkItem item = sample_item();
  const search::WorkItem back = search::decode_work_item(search::encode(item));
  EXPECT_EQ(back.id, item.id);
  EXPECT_EQ(back.generation, item.generation);
  EXPECT_EQ(back.candidate, item.candidate);
  EXPECT_EQ(back.batch, item.batch);
  EXPECT_EQ(back.kind, item.kind);
  EXPECT_EQ(back.genome, item.genome);
}

TEST(WorkItemEncoding, EmptyGenomeRoundTrips) {
  search::WorkItem item;
  item.id = -1;
  EXPECT_TRUE(search::decode_work_item(search::encode(item)).genome.empty());
}

TEST(WorkItemEncoding, ResultRoundTrips) {
  const search::ItemResult result = sample_result();
  const search::ItemResult back = search::decode_item_result(search::encode(result));
  EXPECT_EQ(back.id, result.id);
  EXPECT_EQ(back.ok, result.ok);
  EXPECT_EQ(back.error, result.error);
  EXPECT_EQ(back.values, result.values);
  EXPECT_EQ(back.seconds, result.seconds);
  EXPECT_EQ(back.worker, result.worker);
  EXPECT_EQ(back.attempts, result.attempts);
}

TEST(WorkItemEncoding, TruncatedMessagesAreErrors) {
  const std::vector<char> item_bytes = search::encode(sample_item());
  const std::vector<char> result_bytes = search::encode(sample_result());
  for (std::size_t cut : {std::size_t{1}, std::size_t{8}, item_bytes.size() - 1}) {
    const std::vector<char> truncated(item_bytes.begin(), item_bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_THROW(search::decode_work_item(truncated), InternalError) << "cut at " << cut;
  }
  const std::vector<char> truncated(result_bytes.begin(), result_bytes.end() - 1);
  EXPECT_THROW(search::decode_item_result(truncated), InternalError);
  EXPECT_THROW(search::decode_item_result({}), InternalError);
}

TEST(WorkItemEncoding, TrailingBytesAreErrors) {
  std::vector<char> bytes = search::encode(sample_item());
  bytes.push_back(0);
  EXPECT_THROW(search::decode_work_item(bytes), InternalError);
}

TEST(WorkItemEncoding, EnvelopeRoundTripsAroundTheBody) {
  const std::vector<char> body = search::encode(sample_item());
  std::vector<char> unwrapped;
  const Envelope envelope = unwrap(wrap(Envelope{17, 4}, body), unwrapped);
  EXPECT_EQ(envelope.run, 17);
  EXPECT_EQ(envelope.index, 4);
  EXPECT_EQ(unwrapped, body);
  EXPECT_THROW(unwrap(std::vector<char>(15), unwrapped), InternalError);
}

}  // namespace
}  // namespace evomem::cluster
