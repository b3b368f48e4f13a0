// A fixed-size log-linear latency histogram (HdrHistogram's layout, ~0.4% resolution): values
// below 256 are exact, above that each power of two is split into 128 equal buckets. Records in
// O(1) without allocation; percentiles report the bucket's upper bound (never optimistic),
// capped at the exact maximum.
// Threading: a value; one writer at a time. merge() combines per-thread histograms.
#pragma once

#include <array>
#include <cstdint>

namespace holdfast::loadgen {

class Histogram {
 public:
  static constexpr int kLinear = 256;
  static constexpr int kHalf = 128;
  static constexpr int kMaxShift = 40;  // values up to 2^47 (~39 hours in ns)
  static constexpr int kBuckets = kLinear + kMaxShift * kHalf;

  void record(uint64_t value);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
  // The smallest recorded-bucket upper bound at or below which `q` (0..1) of the values lie.
  uint64_t percentile(double q) const;

  static int bucket_of(uint64_t value);
  static uint64_t bucket_upper(int bucket);  // largest value that falls in `bucket`

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace holdfast::loadgen
