#include "images/idx.h"

#include "util/error.h"

#include <zlib.h>

#include <memory>

namespace crowdsift {

namespace {

// gzread() returns an int, so one call moves at most INT_MAX bytes; IDX files we read are far
// smaller, and a header that declares more than this is damaged rather than big.
constexpr std::int64_t maxValues = std::int64_t(1) << 30;

struct GzCloser {
    void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

std::string gzProblem(gzFile file, const std::string& fallback)
{
    int code = Z_OK;
    const char* message = gzerror(file, &code);
    if (code == Z_OK || code == Z_STREAM_END || !message || !*message)
        return fallback;
    return fallback + " (" + message + ")";
}

// Reads exactly `size` bytes; false at a clean or premature end of file, throws on a zlib error.
bool readExactly(gzFile file, const std::string& path, const std::string& record, void* buffer,
                 std::int64_t size)
{
    const int got = gzread(file, buffer, static_cast<unsigned>(size));
    if (got < 0)
        throw InputError(path, record, gzProblem(file, "cannot decompress"));
    return got == size;
}

std::string hex32(std::uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    std::string text = "0x";
    for (int shift = 28; shift >= 0; shift -= 4)
        text += digits[(value >> shift) & 0xfu];
    return text;
}

std::uint32_t bigEndian32(const unsigned char* bytes)
{
    return (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16)
        | (std::uint32_t(bytes[2]) << 8) | std::uint32_t(bytes[3]);
}

}  // namespace

IdxArray readIdxUbyte(const std::string& path, int expectedRank)
{
    GzFile file(gzopen(path.c_str(), "rb"));
    if (!file)
        throw InputError(path, "", "cannot open for reading");
    gzbuffer(file.get(), 1 << 17);

    unsigned char header[4];
    if (!readExactly(file.get(), path, "header", header, 4))
        throw InputError(path, "header", "file ends before the 4-byte IDX magic number");
    const std::uint32_t magic = bigEndian32(header);
    if (header[0] != 0 || header[1] != 0 || header[2] != 0x08)
        throw InputError(path, "header",
                         "magic number " + hex32(magic)
                             + " is not that of an unsigned-byte IDX file (0x000008nn)");
    const int rank = header[3];
    if (rank < 1)
        throw InputError(path, "header", "IDX rank is 0; expected at least one dimension");
    if (expectedRank > 0 && rank != expectedRank)
        throw InputError(path, "header",
                         "IDX rank is " + std::to_string(rank) + ", expected " + std::to_string(expectedRank));

    IdxArray array;
    std::int64_t total = 1;
    for (int d = 0; d < rank; ++d) {
        unsigned char bytes[4];
        const std::string record = "dimension " + std::to_string(d);
        if (!readExactly(file.get(), path, record, bytes, 4))
            throw InputError(path, record, "file ends inside the IDX header");
        const std::int64_t extent = bigEndian32(bytes);
        if (extent == 0)
            throw InputError(path, record, "dimension is 0");
        total *= extent;
        if (total > maxValues)
            throw InputError(path, record,
                             "header declares more than " + std::to_string(maxValues)
                                 + " values; the file is damaged or not an IDX file");
        array.dims.push_back(extent);
    }

    array.data.resize(static_cast<std::size_t>(total));
    if (!readExactly(file.get(), path, "data", array.data.data(), total))
        throw InputError(path, "data",
                         "file is truncated: the header declares " + std::to_string(total) + " values");
    unsigned char extra;
    if (readExactly(file.get(), path, "data", &extra, 1))
        throw InputError(path, "data",
                         "trailing bytes after the " + std::to_string(total) + " values the header declares");
    return array;
}

}  // namespace crowdsift
