// Engine internals shared by its .cc files; not part of the engine's API.
#pragma once

#include "engine/engine.h"

namespace holdfast::engine {

constexpr uint8_t kGroupWaitingReversal = 16;  // a reversal that came before its original

// MTI class of a message kind for record lookups: 1 authorisation, 2 financial, 4 reversal.
inline uint8_t record_group(MessageKind k) noexcept {
  switch (k) {
    case MessageKind::authorization_request:
    case MessageKind::authorization_advice: return 1;
    case MessageKind::financial_request:
    case MessageKind::financial_advice: return 2;
    case MessageKind::reversal_request:
    case MessageKind::reversal_advice: return 4;
    case MessageKind::network_management: return 8;
  }
  return 0;
}

}  // namespace holdfast::engine
