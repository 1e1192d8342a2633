#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace crowdsift {

// Element types of the .npy files we read and write: little-endian numbers and bools.
enum class NpyType : std::uint8_t { Float32, Float64, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Bool };

// Parses a numpy type string ("<f8", "|u1", "|b1", ...). Returns false for anything else
// (big-endian, structured, strings, float16, ...).
bool parseNpyDescr(const std::string& descr, NpyType& type);
const char* npyDescr(NpyType type);  // "<f4", "<f8", "|i1", "<i2", ..., "|u1", ..., "|b1"
std::size_t npySize(NpyType type);   // bytes per element
bool npyIsFloat(NpyType type);

// An array as stored in a .npy file: elements in C order (last index fastest), little-endian.
struct NpyArray {
    NpyType type = NpyType::Float64;
    std::vector<std::size_t> shape;   // rank 0 (a scalar) .. any
    std::vector<unsigned char> bytes; // count() * npySize(type)

    std::size_t count() const;        // product of shape (1 for a scalar)
    std::size_t rank() const { return shape.size(); }

    // All elements converted to T (static_cast semantics: floats to integers truncate, NaN
    // to an integer is undefined, so check floats with isIntegral() first where that matters).
    template <class T>
    std::vector<T> as() const;
};

// Reads a .npy file, versions 1.0, 2.0 and 3.0. Throws InputError naming the file and the
// problem for a bad magic string, a truncated file, Fortran order (rank >= 2), big-endian or
// unsupported dtypes, and a data size that does not match the shape.
NpyArray readNpy(const std::string& path);

// Writes atomically (writeFileAtomically: a fresh exclusive temporary, fsync, rename): a crash
// never leaves half a file. Uses header
// version 1.0 unless the header needs more than 65535 bytes (then 2.0). `data` holds
// product(shape) elements in C order. Throws InputError when the file cannot be written.
void writeNpy(const std::string& path, const NpyArray& array);
void writeNpy(const std::string& path, const float* data, const std::vector<std::size_t>& shape);
void writeNpy(const std::string& path, const double* data, const std::vector<std::size_t>& shape);
void writeNpy(const std::string& path, const std::int32_t* data, const std::vector<std::size_t>& shape);
void writeNpy(const std::string& path, const std::int64_t* data, const std::vector<std::size_t>& shape);
void writeNpy(const std::string& path, const std::uint8_t* data, const std::vector<std::size_t>& shape);
void writeNpy(const std::string& path, const bool* data, const std::vector<std::size_t>& shape);

// The .npy file content (header + data) that writeNpy() writes, for callers that embed it.
std::string encodeNpy(const NpyArray& array);

// `data` (product(shape) elements, C order) as an array of its type, e.g. to encode several
// arrays and write them together (writeFilesAtomically, util/csv.h).
NpyArray npyArray(const float* data, const std::vector<std::size_t>& shape);
NpyArray npyArray(const double* data, const std::vector<std::size_t>& shape);
NpyArray npyArray(const std::int32_t* data, const std::vector<std::size_t>& shape);
NpyArray npyArray(const std::uint8_t* data, const std::vector<std::size_t>& shape);

template <class T>
std::vector<T> NpyArray::as() const
{
    const std::size_t n = count();
    std::vector<T> out(n);
    const unsigned char* p = bytes.data();
    auto convert = [&](auto tag) {
        using S = decltype(tag);
        for (std::size_t i = 0; i < n; ++i) {
            S value;
            std::memcpy(&value, p + i * sizeof(S), sizeof(S));
            out[i] = static_cast<T>(value);
        }
    };
    switch (type) {
    case NpyType::Float32: convert(float{}); break;
    case NpyType::Float64: convert(double{}); break;
    case NpyType::Int8: convert(std::int8_t{}); break;
    case NpyType::Int16: convert(std::int16_t{}); break;
    case NpyType::Int32: convert(std::int32_t{}); break;
    case NpyType::Int64: convert(std::int64_t{}); break;
    case NpyType::UInt8: convert(std::uint8_t{}); break;
    case NpyType::UInt16: convert(std::uint16_t{}); break;
    case NpyType::UInt32: convert(std::uint32_t{}); break;
    case NpyType::UInt64: convert(std::uint64_t{}); break;
    case NpyType::Bool:
        for (std::size_t i = 0; i < n; ++i)
            out[i] = static_cast<T>(p[i] != 0);
        break;
    }
    return out;
}

}  // namespace crowdsift
