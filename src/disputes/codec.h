// Dispute cases to bytes and back, for engine snapshots.
//
// Format (little-endian, base/bytes.h), version 1:
//   file  := magic u32 ("HFDC" = 0x43444648) | version u8 (1) | count u32 | case*count
//   case  := case_id u64 | card_id u64 | account_id u64 | scheme u8 | reason_code str(<=8)
//            | category u8 | disputed_minor i64 | currency u16 | transaction_at i64
//            | processed_at i64 | claimed_at i64 | state u8 | deadline i64 | deadline_party u8
//            | chargeback_minor i64 | chargeback_at i64 | provisional_credit_minor i64
//            | provisional_credit_at i64 | closed_at i64
//            | evidence_count u32 (<=64) | evidence*  | history_count u32 (<=32) | transition*
//   evidence   := kind u8 | from u8 | received_at i64 | description str(<=512)
//   transition := from u8 | to u8 | at i64
//   str := length u32 | bytes; times are microseconds since the epoch.
// Cases are written in ascending case_id, so equal sets give equal bytes. The decoder is strict:
// truncation, trailing bytes, an unknown enum value, a bool other than 0/1, cases out of order
// or duplicated, and a case that breaks D1-D3 (case.h) are all errors, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "disputes/case.h"

namespace holdfast::disputes {

inline constexpr uint32_t kCasesMagic = 0x43444648;  // "HFDC"
inline constexpr uint8_t kCasesVersion = 1;

enum class CodecErrorCode : uint8_t {
  truncated = 0,
  bad_magic = 1,
  bad_version = 2,
  bad_value = 3,
  out_of_order = 4,
  trailing_bytes = 5
};
using CodecError = Error<CodecErrorCode>;

void encode_case(const Case& c, ByteWriter* w);
[[nodiscard]] Result<Case, CodecError> decode_case(ByteReader* r);

std::vector<uint8_t> encode_cases(const std::vector<Case>& cases);
[[nodiscard]] Result<std::vector<Case>, CodecError> decode_cases(std::span<const uint8_t> bytes);

}  // namespace holdfast::disputes
