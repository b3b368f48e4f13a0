#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace holdfast::loadgen {

int Histogram::bucket_of(uint64_t value) {
  if (value < kLinear) return static_cast<int>(value);
  // shift >= 1 so that value >> shift lies in [128, 256).
  int shift = static_cast<int>(std::bit_width(value)) - 8;
  if (shift > kMaxShift) return kBuckets - 1;
  return kLinear + (shift - 1) * kHalf + static_cast<int>((value >> shift) - kHalf);
}

uint64_t Histogram::bucket_upper(int bucket) {
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int shift = (bucket - kLinear) / kHalf + 1;
  const uint64_t sub = static_cast<uint64_t>((bucket - kLinear) % kHalf + kHalf);
  return ((sub + 1) << shift) - 1;
}

void Histogram::record(uint64_t value) {
  ++counts_[static_cast<size_t>(bucket_of(value))];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(bucket_upper(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace holdfast::loadgen
