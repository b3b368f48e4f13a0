// holdfast clearing apply: a clearing file into a running server, record by record. The file is
// read forwards (clearing::ClearingReader, never loaded whole) and each record is sent to the
// admin port as a `present` request as soon as it is read, so the engine applies it (and moves
// open-to-buy) at once; the PAN is hashed there, at the edge, like every other clear PAN.
//
// Output: one line per record that was not plainly applied (reader errors, refusals, unauthorised
// items, late presentments, chargebacks raised), then one JSON summary line. Exit codes: 0 the
// file was read to its end (whatever the engine answered), 1 operating error (the server cannot
// be reached or stops answering), 2 bad options or a fatal file error (unreadable, truncated,
// broken framing): the caller must not take the file as applied.
#include <iostream>
#include <memory>
#include <string>

#include "clearing/clearing.h"
#include "cli/commands.h"
#include "client/client.h"
#include "gateway/admin_json.h"
#include "iso8583/spec.h"

namespace holdfast::cli {
namespace {

using nlohmann::json;

struct ApplyOptions {
  std::string file;
  std::string format = "auto";
  std::string spec = "iso93binary";
  std::string file_id;
  std::string admin = "127.0.0.1:8584";
};

struct Summary {
  uint64_t records = 0;          // records read from the file and sent
  uint64_t applied = 0;          // applied now (unauthorised ones included)
  uint64_t already_applied = 0;  // applied by an earlier run: nothing changed
  uint64_t unauthorised = 0;     // applied with a part no authorisation stood behind
  uint64_t rejected = 0;         // refused by the admin port or the engine
  uint64_t errors = 0;           // the reader could not read a record
  uint64_t chargebacks_raised = 0;
  bool complete = false;  // the whole file was read with its framing intact
};

// "record 3 (F1:3)": how a line names its record (never by its PAN).
std::string record_label(const clearing::ClearingRecord& r) {
  return "record " + std::to_string(r.record_number) + " (" + r.record_id + ")";
}

class Applier {
 public:
  Applier(client::AdminClient client, std::ostream& out) : client_(std::move(client)), out_(out) {}

  // Sends one record and accounts for the answer; false on an operating error.
  bool apply(const clearing::ClearingRecord& record) {
    ++summary_.records;
    auto answer = client_.call(gateway::present_request(record));
    if (!answer.ok()) return operating_error(answer.error().message);
    const json& a = *answer;
    if (a.contains("error")) {
      ++summary_.rejected;
      const std::string field = a.value("field", "");
      out_ << record_label(record) << ": rejected: " << (field.empty() ? "" : field + ": ")
           << a["error"].get<std::string>() << '\n';
      return true;
    }
    const std::string outcome = a.value("outcome", "");
    if (outcome == "presentment_already_applied") {
      ++summary_.already_applied;
      return true;
    }
    if (!a.value("ok", false)) {
      ++summary_.rejected;
      out_ << record_label(record) << ": rejected: " << outcome << '\n';
      return true;
    }
    ++summary_.applied;
    const bool unauthorised = outcome == "presentment_unauthorised" || outcome == "presentment_over_cleared";
    if (!unauthorised && outcome != "presentment_late") return true;
    if (unauthorised) ++summary_.unauthorised;
    // The reply names the outcome only; what was unauthorised and which case was opened for it
    // is in the engine's record of the presentment.
    auto detail = client_.call(json{{"op", "get_presentment"}, {"record_id", record.record_id}});
    if (!detail.ok()) return operating_error(detail.error().message);
    out_ << record_label(record) << ": " << outcome;
    if (unauthorised) out_ << ", unauthorised_minor " << detail->value("unauthorised_minor", int64_t{0});
    const uint64_t case_id = detail->value("case_id", uint64_t{0});
    if (case_id != 0) {
      ++summary_.chargebacks_raised;
      out_ << ", chargeback raised: case " << case_id;
    }
    out_ << '\n';
    return true;
  }

  void reader_error(const clearing::ClearingError& e) {
    ++summary_.errors;
    out_ << "error: " << clearing::describe(e) << '\n';
  }

  // Ordered: the members print in the documented order.
  nlohmann::ordered_json summary(bool complete) {
    summary_.complete = complete;
    nlohmann::ordered_json s;
    s["records"] = summary_.records;
    s["applied"] = summary_.applied;
    s["already_applied"] = summary_.already_applied;
    s["unauthorised"] = summary_.unauthorised;
    s["rejected"] = summary_.rejected;
    s["errors"] = summary_.errors;
    s["chargebacks_raised"] = summary_.chargebacks_raised;
    s["complete"] = summary_.complete;
    return s;
  }

 private:
  bool operating_error(const std::string& message) {
    std::cerr << "holdfast: admin port: " << message << '\n';
    return false;
  }

  client::AdminClient client_;
  std::ostream& out_;
  Summary summary_;
};

int apply_command(const ApplyOptions& o) {
  clearing::ReaderOptions options;
  options.format = o.format == "csv"      ? clearing::FileFormat::kCsv
                   : o.format == "binary" ? clearing::FileFormat::kBinary
                                          : clearing::FileFormat::kAuto;
  options.spec = iso8583::find_spec(o.spec);
  options.file_id = o.file_id;
  if (options.spec == nullptr) {
    std::cerr << "holdfast: unknown spec '" << o.spec << "'\n";
    return 2;
  }
  client::AdminAddress admin;
  if (!client::parse_admin_address(o.admin, &admin)) {
    std::cerr << "holdfast: --admin must be HOST:PORT, got '" << o.admin << "'\n";
    return 2;
  }
  // Connect first: with no server, nothing of the file is read.
  auto client = client::AdminClient::connect(admin.host, admin.port);
  if (!client.ok()) {
    std::cerr << "holdfast: " << client.error().message << '\n';
    return 1;
  }
  Applier applier(std::move(*client), std::cout);
  auto reader = clearing::ClearingReader::from_file(o.file, options);
  bool operating_ok = true;
  while (operating_ok) {
    auto next = reader.next();
    if (!next.ok()) {
      applier.reader_error(next.error());
      if (next.error().fatal) break;
      continue;
    }
    if (!next->has_value()) break;
    operating_ok = applier.apply(**next);
  }
  const bool complete = operating_ok && reader.complete();
  std::cout << applier.summary(complete).dump() << '\n';
  if (!operating_ok) return 1;
  return complete ? 0 : 2;
}

}  // namespace

void add_clearing_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ApplyOptions>();
  auto* clearing = app.add_subcommand("clearing", "Clearing files (src/clearing/FORMAT.md)");
  clearing->require_subcommand(1);
  auto* apply = clearing->add_subcommand(
      "apply", "Apply a clearing file to a running server, record by record, as it is read");
  apply->add_option("file", o->file, "Clearing file: binary (4-byte length + ISO 8583:1993) or operator CSV")
      ->required();
  apply->add_option("--format", o->format, "auto (default: told apart by the first bytes), binary or csv")
      ->check(CLI::IsMember({"auto", "binary", "csv"}));
  apply->add_option("--spec", o->spec, "Binary files: iso93binary (default) or iso93ascii")
      ->check(CLI::IsMember({"iso93binary", "iso93ascii"}));
  apply->add_option("--file-id", o->file_id, "Record-id prefix for a binary file whose header carries none");
  apply->add_option("--admin", o->admin, client::kAdminOptionHelp);
  apply->callback([o, exit_code] { *exit_code = apply_command(*o); });
}

}  // namespace holdfast::cli
