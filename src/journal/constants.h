// Every bound of the journal in one place, each with the reason for its value (TigerBeetle
// constants.zig style). A bound turns a corrupted length field or a runaway caller into a clear
// error or assertion instead of an unbounded allocation.
// Threading: compile-time constants only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace holdfast::journal {

// Largest payload of one entry. Entries are engine commands: an ISO 8583 message is at most a
// few KiB, an API command smaller, and a clearing file is split into one command per record.
// 64 KiB leaves ample room while bounding the reader's buffer and letting a reader recognise a
// corrupted length field (anything larger is garbage) without trying to allocate it.
inline constexpr uint32_t kMaxPayloadBytes = 64 * 1024;

// Default size at which the active segment is closed and a new one started. Large enough that
// segment creation (a file create plus a directory fsync) is rare, small enough that deleting
// segments covered by a snapshot frees space in useful steps.
inline constexpr uint64_t kDefaultSegmentTargetBytes = 64ull * 1024 * 1024;

// Default cap on bytes buffered by append() before commit(). Bounds memory held by a batch and
// the size of a single write; the server commits long before this (it commits every loop turn).
inline constexpr uint64_t kDefaultMaxBatchBytes = 16ull * 1024 * 1024;

// Largest snapshot state accepted. load_latest_snapshot() reads the state into memory, so the
// bound is a memory bound; the engine's state for a single node is far below it.
inline constexpr uint64_t kMaxSnapshotBytes = 4ull * 1024 * 1024 * 1024;

// Snapshots kept by default: the newest plus one older, so a newest snapshot found corrupt can
// fall back (when allowed) to one the journal still covers.
inline constexpr uint32_t kDefaultSnapshotsToKeep = 2;

// Reader window: how many bytes replay and open read from a segment at a time. Must hold a whole
// entry (header + largest payload) so an entry never straddles a refill twice.
inline constexpr size_t kReadWindowBytes = 1024 * 1024;

}  // namespace holdfast::journal
