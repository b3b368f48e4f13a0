// Every published vector in testdata/crypto/vectors.jsonl goes through the dispatcher; each is
// its own test named after the vector id, and every field the vector lists must match exactly.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "crypto/crypto_ops.h"

namespace holdfast::crypto {
namespace {

using nlohmann::json;

std::vector<json> load_vectors() {
  std::ifstream file(std::string(HOLDFAST_TESTDATA_DIR) + "/crypto/vectors.jsonl");
  std::vector<json> out;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

const std::vector<json>& vectors() {
  static const std::vector<json> all = load_vectors();
  return all;
}

class cryptoPublishedVector : public testing::TestWithParam<json> {};

TEST_P(cryptoPublishedVector, MatchesEveryListedField) {
  const json& v = GetParam();
  const json response = run_crypto_op({{"id", v["id"]}, {"op", v["op"]}, {"in", v["in"]}});
  EXPECT_EQ(response["id"], v["id"]);
  ASSERT_FALSE(response.contains("error")) << v["id"] << " (" << v["op"] << "): " << response["error"];
  for (const auto& [field, expected] : v["out"].items()) {
    ASSERT_TRUE(response["out"].contains(field)) << v["id"] << " lacks out field " << field;
    EXPECT_EQ(response["out"][field], expected) << v["id"] << " field " << field;
  }
}

std::string vector_name(const testing::TestParamInfo<json>& info) {
  std::string name = info.param["id"].get<std::string>();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(crypto, cryptoPublishedVector, testing::ValuesIn(vectors()), vector_name);

TEST(cryptoPublishedVectors, FileIsPresent) { EXPECT_EQ(vectors().size(), 185u); }

}  // namespace
}  // namespace holdfast::crypto
