#include "util/npy.h"

#include "util/csv.h"
#include "util/error.h"

#include <charconv>
#include <limits>

namespace crowdsift {

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy I/O copies little-endian data as is and needs a little-endian host"
#endif

namespace {

struct TypeInfo {
    NpyType type;
    const char* descr;
    std::size_t size;
};

constexpr TypeInfo kTypes[] = {
    {NpyType::Float32, "<f4", 4}, {NpyType::Float64, "<f8", 8}, {NpyType::Int8, "|i1", 1},
    {NpyType::Int16, "<i2", 2},   {NpyType::Int32, "<i4", 4},   {NpyType::Int64, "<i8", 8},
    {NpyType::UInt8, "|u1", 1},   {NpyType::UInt16, "<u2", 2},  {NpyType::UInt32, "<u4", 4},
    {NpyType::UInt64, "<u8", 8},  {NpyType::Bool, "|b1", 1},
};

const TypeInfo& info(NpyType type)
{
    return kTypes[static_cast<int>(type)];
}

// The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

    void parse(std::string& descr, bool& fortranOrder, std::vector<std::size_t>& shape)
    {
        bool haveDescr = false, haveOrder = false, haveShape = false;
        skipSpace();
        expect('{');
        while (true) {
            skipSpace();
            if (peek() == '}')
                break;
            const std::string key = quoted();
            skipSpace();
            expect(':');
            skipSpace();
            if (key == "descr") {
                if (peek() == '[')
                    fail("structured dtypes (records) are not supported; save a plain numeric array");
                descr = quoted();
                haveDescr = true;
            } else if (key == "fortran_order") {
                fortranOrder = boolean();
                haveOrder = true;
            } else if (key == "shape") {
                shape = tuple();
                haveShape = true;
            } else {
                fail("unexpected header key '" + key + "'");
            }
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            skipSpace();
            expect('}');
            break;
        }
        if (!haveDescr || !haveOrder || !haveShape)
            fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    }

private:
    [[noreturn]] void fail(const std::string& problem) const { throw InputError(file_, "header", problem); }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    void skipSpace()
    {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'))
            ++pos_;
    }

    void expect(char c)
    {
        if (peek() != c)
            fail(std::string("malformed header: expected '") + c + "' at offset " + std::to_string(pos_));
        ++pos_;
    }

    std::string quoted()
    {
        const char q = peek();
        if (q != '\'' && q != '"')
            fail("malformed header: expected a quoted string at offset " + std::to_string(pos_));
        const std::size_t end = text_.find(q, pos_ + 1);
        if (end == std::string_view::npos)
            fail("malformed header: unterminated string");
        std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return out;
    }

    bool boolean()
    {
        if (text_.compare(pos_, 4, "True") == 0) {
            pos_ += 4;
            return true;
        }
        if (text_.compare(pos_, 5, "False") == 0) {
            pos_ += 5;
            return false;
        }
        fail("malformed header: fortran_order is neither True nor False");
    }

    std::vector<std::size_t> tuple()
    {
        std::vector<std::size_t> dims;
        expect('(');
        while (true) {
            skipSpace();
            if (peek() == ')') {
                ++pos_;
                return dims;
            }
            std::size_t value = 0;
            const char* first = text_.data() + pos_;
            const char* last = text_.data() + text_.size();
            const auto [ptr, ec] = std::from_chars(first, last, value);
            if (ec != std::errc() || ptr == first)
                fail("malformed header: shape entries must be non-negative integers");
            pos_ += static_cast<std::size_t>(ptr - first);
            if (peek() == 'L')
                ++pos_;  // Python 2 long literal
            dims.push_back(value);
            skipSpace();
            if (peek() == ',')
                ++pos_;
            else if (peek() != ')')
                fail("malformed header: expected ',' or ')' in shape");
        }
    }

    std::string_view text_;
    const std::string& file_;
    std::size_t pos_ = 0;
};

std::size_t elementCount(const std::vector<std::size_t>& shape, const std::string& file)
{
    std::size_t n = 1;
    for (std::size_t d : shape) {
        if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d)
            throw InputError(file, "header", "shape is too large");
        n *= d;
    }
    return n;
}

std::uint32_t readLittle(const unsigned char* p, int bytes)
{
    std::uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

}  // namespace

bool parseNpyDescr(const std::string& descr, NpyType& type)
{
    if (descr.size() != 3)
        return false;
    // '=' is native order (little-endian here); one-byte types carry no order, numpy writes '|'.
    const char order = descr[0];
    const std::string body = descr.substr(1);
    for (const TypeInfo& t : kTypes) {
        if (body != t.descr + 1)
            continue;
        const bool ok = order == '<' || order == '=' || (t.size == 1 && (order == '|' || order == '>'));
        if (!ok)
            return false;
        type = t.type;
        return true;
    }
    return false;
}

const char* npyDescr(NpyType type)
{
    return info(type).descr;
}

std::size_t npySize(NpyType type)
{
    return info(type).size;
}

bool npyIsFloat(NpyType type)
{
    return type == NpyType::Float32 || type == NpyType::Float64;
}

std::size_t NpyArray::count() const
{
    std::size_t n = 1;
    for (std::size_t d : shape)
        n *= d;
    return n;
}

NpyArray readNpy(const std::string& path)
{
    const std::string file = readFileBytes(path);
    const auto* bytes = reinterpret_cast<const unsigned char*>(file.data());
    static const char kMagic[] = "\x93NUMPY";
    if (file.size() < 8 || file.compare(0, 6, kMagic, 6) != 0)
        throw InputError(path, "", "not a .npy file (bad magic string)");
    const int major = bytes[6];
    std::size_t headerLength = 0;
    std::size_t headerStart = 0;
    if (major == 1) {
        if (file.size() < 10)
            throw InputError(path, "header", "file is truncated inside the header");
        headerLength = readLittle(bytes + 8, 2);
        headerStart = 10;
    } else if (major == 2 || major == 3) {
        if (file.size() < 12)
            throw InputError(path, "header", "file is truncated inside the header");
        headerLength = readLittle(bytes + 8, 4);
        headerStart = 12;
    } else {
        throw InputError(path, "header", "unsupported .npy version " + std::to_string(major) + "."
                                             + std::to_string(bytes[7]));
    }
    if (file.size() < headerStart + headerLength)
        throw InputError(path, "header", "file is truncated inside the header");

    std::string descr;
    bool fortranOrder = false;
    NpyArray array;
    HeaderParser(std::string_view(file).substr(headerStart, headerLength), path).parse(descr, fortranOrder, array.shape);
    if (!descr.empty() && descr[0] == '>' && descr.size() == 3 && descr.substr(2) != "1")
        throw InputError(path, "header", "big-endian data ('" + descr + "') is not supported; save it with "
                                         "arr.astype(arr.dtype.newbyteorder('<'))");
    if (!parseNpyDescr(descr, array.type))
        throw InputError(path, "header", "unsupported dtype '" + descr
                                             + "' (float32/64, int8-64, uint8-64 or bool expected)");
    if (fortranOrder && array.shape.size() >= 2)
        throw InputError(path, "header", "Fortran-ordered arrays are not supported; save "
                                         "np.ascontiguousarray(arr) instead");

    const std::size_t n = elementCount(array.shape, path);
    const std::size_t itemSize = npySize(array.type);
    if (n > std::numeric_limits<std::size_t>::max() / itemSize)
        throw InputError(path, "header", "shape is too large");
    const std::size_t dataBytes = n * itemSize;
    const std::size_t available = file.size() - headerStart - headerLength;
    if (available < dataBytes)
        throw InputError(path, "data", "file is truncated: the shape needs " + std::to_string(dataBytes)
                                           + " bytes of data, the file has " + std::to_string(available));
    if (available > dataBytes)
        throw InputError(path, "data", "file has " + std::to_string(available - dataBytes)
                                           + " bytes after the array data");
    const auto* data = bytes + headerStart + headerLength;
    array.bytes.assign(data, data + dataBytes);
    return array;
}

std::string encodeNpy(const NpyArray& array)
{
    std::string dict = "{'descr': '";
    dict += npyDescr(array.type);
    dict += "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < array.shape.size(); ++i) {
        dict += std::to_string(array.shape[i]);
        if (i + 1 < array.shape.size() || array.shape.size() == 1)
            dict += ",";
        if (i + 1 < array.shape.size())
            dict += " ";
    }
    dict += "), }";
    // Data must start on a 64-byte boundary; the header ends with '\n'.
    std::size_t prefix = 10;
    std::size_t total = prefix + dict.size() + 1;
    if ((total + 63) / 64 * 64 - prefix > 65535) {
        prefix = 12;
        total = prefix + dict.size() + 1;
    }
    const std::size_t padded = (total + 63) / 64 * 64;
    const std::size_t headerLength = padded - prefix;
    dict.append(headerLength - dict.size() - 1, ' ');
    dict += '\n';

    std::string out;
    out.reserve(padded + array.bytes.size());
    out.append("\x93NUMPY", 6);
    out.push_back(static_cast<char>(prefix == 10 ? 1 : 2));
    out.push_back(0);
    const int lengthBytes = prefix == 10 ? 2 : 4;
    for (int i = 0; i < lengthBytes; ++i)
        out.push_back(static_cast<char>((headerLength >> (8 * i)) & 0xFF));
    out += dict;
    out.append(reinterpret_cast<const char*>(array.bytes.data()), array.bytes.size());
    return out;
}

void writeNpy(const std::string& path, const NpyArray& array)
{
    if (array.bytes.size() != array.count() * npySize(array.type))
        throw std::logic_error("writeNpy: byte count does not match the shape");
    writeFileAtomically(path, encodeNpy(array));
}

template <class T>
static NpyArray typedArray(NpyType type, const T* data, const std::vector<std::size_t>& shape)
{
    NpyArray array;
    array.type = type;
    array.shape = shape;
    const std::size_t n = array.count();
    array.bytes.resize(n * sizeof(T));
    if (n > 0)
        std::memcpy(array.bytes.data(), data, n * sizeof(T));
    return array;
}

template <class T>
static void writeTyped(const std::string& path, NpyType type, const T* data, const std::vector<std::size_t>& shape)
{
    writeNpy(path, typedArray(type, data, shape));
}

NpyArray npyArray(const float* data, const std::vector<std::size_t>& shape)
{
    return typedArray(NpyType::Float32, data, shape);
}

NpyArray npyArray(const double* data, const std::vector<std::size_t>& shape)
{
    return typedArray(NpyType::Float64, data, shape);
}

NpyArray npyArray(const std::int32_t* data, const std::vector<std::size_t>& shape)
{
    return typedArray(NpyType::Int32, data, shape);
}

NpyArray npyArray(const std::uint8_t* data, const std::vector<std::size_t>& shape)
{
    return typedArray(NpyType::UInt8, data, shape);
}

void writeNpy(const std::string& path, const float* data, const std::vector<std::size_t>& shape)
{
    writeTyped(path, NpyType::Float32, data, shape);
}

void writeNpy(const std::string& path, const double* data, const std::vector<std::size_t>& shape)
{
    writeTyped(path, NpyType::Float64, data, shape);
}

void writeNpy(const std::string& path, const std::int32_t* data, const std::vector<std::size_t>& shape)
{
    writeTyped(path, NpyType::Int32, data, shape);
}

void writeNpy(const std::string& path, const std::int64_t* data, const std::vector<std::size_t>& shape)
{
    writeTyped(path, NpyType::Int64, data, shape);
}

void writeNpy(const std::string& path, const std::uint8_t* data, const std::vector<std::size_t>& shape)
{
    writeTyped(path, NpyType::UInt8, data, shape);
}

void writeNpy(const std::string& path, const bool* data, const std::vector<std::size_t>& shape)
{
    NpyArray array;
    array.type = NpyType::Bool;
    array.shape = shape;
    const std::size_t n = array.count();
    array.bytes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        array.bytes[i] = data[i] ? 1 : 0;
    writeNpy(path, array);
}

}  // namespace crowdsift
