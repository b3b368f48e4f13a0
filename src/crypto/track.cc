#include "crypto/track.h"

#include "crypto/digits.h"

namespace holdfast::crypto {
namespace {

constexpr size_t kTrack1MaxChars = 79;  // ISO/IEC 7813, sentinels and LRC included
constexpr size_t kTrack2MaxChars = 40;

bool pan_shaped(std::string_view pan) { return !pan.empty() && pan.size() <= 19 && is_digits(pan); }

bool track1_char(char c) { return c >= 0x20 && c <= 0x7E && c != '^' && c != '%' && c != '?'; }

// Drops "'?' [LRC]" from the end; false when something else follows the end sentinel.
bool strip_end_sentinel(std::string_view* t) {
  const size_t end = t->find('?');
  if (end == std::string_view::npos) return true;
  if (t->size() - end > 2) return false;  // at most one LRC character after it
  t->remove_suffix(t->size() - end);
  return true;
}

// "YYMM SVC discretionary", shared by both tracks.
CryptoResult<TrackData> read_after_separator(std::string_view rest, TrackData t) {
  if (rest.size() < 7 || !is_digits(rest.substr(0, 7))) {
    return invalid("track expiry and service code must be 7 digits");
  }
  t.expiry_yymm = rest.substr(0, 4);
  t.service_code = rest.substr(4, 3);
  t.discretionary = rest.substr(7);
  return t;
}

}  // namespace

CryptoResult<TrackData> parse_track2(std::string_view track) {
  if (track.size() > kTrack2MaxChars) return invalid("track 2 is longer than 40 characters");
  if (!track.empty() && track.front() == ';') track.remove_prefix(1);
  if (!strip_end_sentinel(&track)) return invalid("track 2 has data after its end sentinel");
  const size_t sep = track.find_first_of("=D");
  if (sep == std::string_view::npos) return invalid("track 2 has no separator");
  TrackData t;
  t.body = track;
  t.pan = track.substr(0, sep);
  if (!pan_shaped(t.pan)) return invalid("track 2 PAN must be 1..19 digits");
  auto r = read_after_separator(track.substr(sep + 1), t);
  if (r.ok() && !r->discretionary.empty() && !is_digits(r->discretionary)) {
    return invalid("track 2 discretionary data must be digits");
  }
  return r;
}

CryptoResult<TrackData> parse_track1(std::string_view track) {
  if (track.size() > kTrack1MaxChars) return invalid("track 1 is longer than 79 characters");
  if (!track.empty() && track.front() == '%') track.remove_prefix(1);
  if (!strip_end_sentinel(&track)) return invalid("track 1 has data after its end sentinel");
  if (track.empty() || track.front() != 'B') return invalid("track 1 format code must be B");
  const std::string_view body = track;
  track.remove_prefix(1);
  const size_t sep1 = track.find('^');
  if (sep1 == std::string_view::npos) return invalid("track 1 has no field separator");
  TrackData t;
  t.body = body;
  t.pan = track.substr(0, sep1);
  if (!pan_shaped(t.pan)) return invalid("track 1 PAN must be 1..19 digits");
  const size_t sep2 = track.find('^', sep1 + 1);
  if (sep2 == std::string_view::npos) return invalid("track 1 has no separator after the name");
  const std::string_view name = track.substr(sep1 + 1, sep2 - sep1 - 1);
  if (name.size() < 2 || name.size() > 26) return invalid("track 1 name must be 2..26 characters");
  for (char c : name) {
    if (!track1_char(c)) return invalid("track 1 name has a character outside the track 1 set");
  }
  auto r = read_after_separator(track.substr(sep2 + 1), t);
  if (!r.ok()) return r;
  for (char c : r->discretionary) {
    if (!track1_char(c)) return invalid("track 1 discretionary data has a character outside the track 1 set");
  }
  return r;
}

}  // namespace holdfast::crypto
