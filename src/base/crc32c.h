// CRC32C (Castagnoli), the checksum of journal entries and snapshots: it detects torn writes and
// bit rot. Uses the SSE4.2 instruction when the CPU has it, a table otherwise; same results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace holdfast {

// Extends a running crc with more bytes; start from 0.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) noexcept;
inline uint32_t crc32c(std::span<const uint8_t> data) noexcept {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace holdfast
