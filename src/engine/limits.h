// Every bound on what a command and a snapshot may carry, in one place, each with the reason
// for its value. The command codec's encoder and decoder, the snapshot reader, the admin JSON
// edge (src/gateway) and the server's configuration reader all use these names, so a value the
// edge accepts is a value the journal can hold and the decoder reads back: an accepted command
// can never make the server unable to restart.
//
// The largest command of each variable-size kind is computed here from the bounds and the
// encoded layout (command_codec.cc, wire.h), and checked against kMaxCommandBytes at compile
// time; command_codec_test.cc encodes each kind at its bounds and checks the computed size.
// The server checks kMaxCommandBytes against the journal's own entry bound
// (journal::kMaxPayloadBytes), since only the server knows both modules.
// Threading: compile-time constants only.
#pragma once

#include <cstddef>

#include "disputes/case.h"

namespace holdfast::engine::limits {

// Largest encoded command: one journal entry. 64 KiB, the journal's entry bound, which lets a
// journal reader tell a corrupted length field from a real entry without allocating it.
inline constexpr size_t kMaxCommandBytes = 64 * 1024;

// A card product's display name. Operators type it; 256 bytes is more than any real name.
inline constexpr size_t kMaxProductNameBytes = 256;
// Floor-limit rules per product (MCC range x country x channel). A scheme's floor-limit table
// has tens of rows; 1000 leaves room for per-country rows while bounding the entry (15 KB).
inline constexpr size_t kMaxFloorLimitRules = 1000;
// Countries a product allows uplifts in: ISO 3166-1 has 249 numeric codes, so 256 lists every
// country once.
inline constexpr size_t kMaxUpliftCountries = 256;

// Engine settings (Configure command, snapshot). Hold and tolerance rules are MCC ranges; the
// scheme rules name fewer than 20. 256 of each bounds the entry at 5 KB.
inline constexpr size_t kMaxMccHoldRules = 256;
inline constexpr size_t kMaxClearingToleranceRules = 256;
// The scheme dispute rules file (config/scheme-rules.json format), carried whole in the
// Configure command. The shipped file is about 11 KB; 48 KiB is four times that and keeps the
// largest Configure command within kMaxCommandBytes.
inline constexpr size_t kMaxSchemeRulesBytes = 48 * 1024;

// Disputes: the case module's own bounds (disputes/case.h), repeated here by name so that this
// file lists every bound a command carries.
inline constexpr size_t kMaxReasonCodeBytes = disputes::kMaxReasonCodeBytes;
inline constexpr size_t kMaxEvidenceDescriptionBytes = disputes::kMaxDescriptionBytes;

// Encoded sizes (command_codec.cc, wire.h, config.cc), for the compile-time checks below.
inline constexpr size_t kCommandHeaderBytes = 1 + 8 + 1;  // version, time, tag
inline constexpr size_t kLengthPrefixBytes = 4;           // ByteWriter::str and list counts
inline constexpr size_t kFloorLimitRuleBytes = 2 + 2 + 2 + 1 + 8;
inline constexpr size_t kProductFixedBytes = 61;  // every product field but the three lists' items
inline constexpr size_t kMaxProductBytes = kProductFixedBytes + kMaxProductNameBytes +
                                           kMaxFloorLimitRules * kFloorLimitRuleBytes +
                                           kMaxUpliftCountries * 2;
inline constexpr size_t kMaxCreateCardRangeBytes = kCommandHeaderBytes + 8 + 8 + 1 + kMaxProductBytes;
inline constexpr size_t kConfigFixedBytes = 63;  // every setting but the lists' items and the rules text
inline constexpr size_t kMaxConfigBytes = kConfigFixedBytes + kMaxMccHoldRules * (2 + 2 + 4) +
                                          kMaxClearingToleranceRules * (2 + 2 + 4 + 4) + kMaxSchemeRulesBytes;
inline constexpr size_t kMaxConfigureBytes = kCommandHeaderBytes + kMaxConfigBytes;
// The other commands are fixed-size or carry only dispute text; the largest is an evidence
// attachment (case id, step, kind, party, description).
inline constexpr size_t kMaxAttachEvidenceBytes =
    kCommandHeaderBytes + 8 + 1 + 1 + 1 + kLengthPrefixBytes + kMaxEvidenceDescriptionBytes;

static_assert(kMaxCreateCardRangeBytes <= kMaxCommandBytes,
              "a product at its bounds must fit one journal entry");
static_assert(kMaxConfigureBytes <= kMaxCommandBytes,
              "engine settings at their bounds must fit one journal entry");
static_assert(kMaxAttachEvidenceBytes <= kMaxCommandBytes,
              "evidence at its bound must fit one journal entry");

}  // namespace holdfast::engine::limits
