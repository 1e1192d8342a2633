#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// An IDX array of unsigned bytes (the MNIST / Fashion-MNIST file format): a big-endian header
// `00 00 08 <rank>`, <rank> big-endian uint32 dimensions, then the values in row-major order.
struct IdxArray {
    std::vector<std::int64_t> dims;  // e.g. {10000, 28, 28} for images, {10000} for labels
    std::vector<std::uint8_t> data;  // product(dims) values, row-major

    std::int64_t size() const { return static_cast<std::int64_t>(data.size()); }
};

// Reads an IDX file of unsigned bytes, gzip-compressed (`.gz`) or plain, through zlib.
// Throws InputError naming the file when it cannot be opened, the magic number or the rank is
// not that of an unsigned-byte IDX array, a dimension is zero, or the file is truncated or has
// trailing bytes. `expectedRank` > 0 also rejects a file of another rank (images are rank 3).
IdxArray readIdxUbyte(const std::string& path, int expectedRank = 0);

}  // namespace crowdsift
