#include <gtest/gtest.h>

#include "trellis/flow/codec.h"

namespace trellis {
namespace {

template <typename T>
T round_trip(const T& v) {
  Encoded e = Codec<T>::encode(v);
  std::string bytes = e.owned + std::string(e.borrowed);
  Result<T> back = Codec<T>::decode(bytes);
  EXPECT_TRUE(back.ok()) << back.status().to_string();
  return back.ok() ? *back : T{};
}

TEST(Codec, JsonValuesRoundTrip) {
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip<int64_t>(-42), -42);
  EXPECT_DOUBLE_EQ(round_trip(0.1), 0.1);
  EXPECT_EQ(round_trip(std::string("héllo")), "héllo");
  std::vector<std::string> v = {"a", "b"};
  EXPECT_EQ(round_trip(v), v);
  std::map<std::string, std::vector<int64_t>> m = {{"x", {1, 2}}, {"y", {}}};
  EXPECT_EQ(round_trip(m), m);
  EXPECT_EQ(Codec<std::vector<int64_t>>::type_name(), "vector<int64>");
  EXPECT_EQ(Codec<int64_t>::name(), "json");
}

TEST(Codec, WrongTypeIsAnError) {
  Result<int64_t> r = Codec<int64_t>::decode("\"text\"");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(Codec, NumbersOutOfTheirTypesRangeAreErrorsNotWrapped) {
  EXPECT_FALSE(Codec<int>::decode("4294967297").ok());  // was read as 1
  EXPECT_FALSE(Codec<int>::decode("1e300").ok());       // was undefined behaviour
  EXPECT_FALSE(Codec<int64_t>::decode("-1e19").ok());
  EXPECT_FALSE(Codec<uint64_t>::decode("-1").ok());
  EXPECT_FALSE(Codec<float>::decode("1e39").ok());
  EXPECT_FALSE((Codec<std::vector<int>>::decode("[1, 2147483648]").ok()));
  EXPECT_FALSE((Codec<std::map<std::string, int>>::decode(R"({"a": 1e10})").ok()));
  EXPECT_EQ(Codec<int>::decode("2147483647").value(), 2147483647);
  EXPECT_EQ(Codec<uint64_t>::decode("18446744073709551615").value(), UINT64_MAX);
  EXPECT_EQ(Codec<int>::decode("3.0").value(), 3);
  EXPECT_EQ((Codec<std::vector<int64_t>>::decode("[-9223372036854775808]").value()),
            std::vector<int64_t>{INT64_MIN});
}

TEST(Codec, NDArrayIsNpy) {
  NDArray a = NDArray::zeros(DType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) a.as<float>()[i] = i * 0.5f;
  Encoded e = Codec<NDArray>::encode(a);
  EXPECT_EQ(e.owned.size() % 64, 0u);  // header padded to 64 bytes
  EXPECT_EQ(e.owned.substr(0, 6), "\x93NUMPY");
  EXPECT_NE(e.owned.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(e.owned.find("'shape': (2, 3)"), std::string::npos);
  EXPECT_EQ(e.borrowed.data(), a.data.data());  // no copy of the data
  NDArray back = round_trip(a);
  EXPECT_EQ(back.shape, a.shape);
  EXPECT_EQ(back.data, a.data);
  NDArray one = NDArray::zeros(DType::kInt64, {4});
  EXPECT_NE(npy_header(one).find("(4,)"), std::string::npos);
  EXPECT_EQ(round_trip(one).shape, std::vector<int64_t>{4});
  NDArray scalar = NDArray::zeros(DType::kFloat64, {});
  EXPECT_NE(npy_header(scalar).find("'shape': ()"), std::string::npos);
  EXPECT_EQ(round_trip(scalar).numel(), 1);
}

TEST(Codec, BadNpyIsRejected) {
  EXPECT_FALSE(parse_npy("not npy").ok());
  NDArray a = NDArray::zeros(DType::kUInt8, {10});
  std::string bytes = npy_header(a) + a.data.substr(0, 5);
  EXPECT_FALSE(parse_npy(bytes).ok());
}

TEST(Codec, NpyWithAnAbsurdShapeIsAnErrorNotACrash) {
  auto npy = [](const std::string& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::string h = "\x93NUMPY";
    h += '\x01';
    h += '\x00';
    h += static_cast<char>(dict.size() & 0xff);
    h += static_cast<char>(dict.size() >> 8);
    return h + dict;
  };
  EXPECT_TRUE(parse_npy(npy("(0,)")).ok());
  // A dimension beyond int64 threw std::out_of_range out of parse_npy.
  EXPECT_FALSE(parse_npy(npy("(99999999999999999999,)")).ok());
  // Dimensions whose product overflows: the size check must not wrap around to 0.
  EXPECT_FALSE(parse_npy(npy("(4294967296, 4294967296)")).ok());
  EXPECT_FALSE(parse_npy(npy("(4611686018427387904, 4)")).ok());
}

TEST(Codec, BytesAreKeptAsTheyAre) {
  Bytes b{std::string("\0\1\2", 3)};
  EXPECT_EQ(round_trip(b).data, b.data);
}

}  // namespace
}  // namespace trellis
