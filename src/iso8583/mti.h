// Message type indicator arithmetic (NOTES.md §2.3/2.4). An MTI is four digits: version,
// class, function, origin. The response to a request, advice or notification has the next
// function digit and the non-repeat origin: 0100 -> 0110, 0101 -> 0110, 0420 -> 0430,
// 1240 -> 1250, 1804 -> 1814.
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::iso8583 {

// Writes the response MTI for `request_mti` to *out and returns true; returns false (and
// leaves *out alone) when the input is not four digits or is itself a response.
bool response_mti(std::string_view request_mti, std::string* out);

}  // namespace holdfast::iso8583
