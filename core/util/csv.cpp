#include "util/csv.h"

#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace crowdsift {

namespace fs = std::filesystem;

static std::string systemError(int error)
{
    return std::strerror(error);
}

std::string readFileBytes(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw InputError(path, "", "is a folder where a file was expected");
    // A FIFO or a device (/dev/zero) would block the open or never end: only regular files are
    // read. Non-blocking, so that a FIFO put there since the check cannot hang the open.
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
        throw InputError(path, "", "is not a regular file (a pipe, a device or a socket); give a file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw InputError(path, "", "cannot open: " + systemError(errno));
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        const int error = errno;
        ::close(fd);
        if (!S_ISREG(info.st_mode))
            throw InputError(path, "", "is not a regular file (a pipe, a device or a socket); give a file");
        throw InputError(path, "", "cannot read: " + systemError(error));
    }
    std::string bytes;
    bytes.resize(static_cast<std::size_t>(info.st_size));
    std::size_t done = 0;
    char spill[65536];
    while (true) {
        // Read into the sized string; anything past st_size (a growing file, a pipe) is appended.
        const bool inside = done < bytes.size();
        const ssize_t got = inside ? ::read(fd, bytes.data() + done, bytes.size() - done)
                                   : ::read(fd, spill, sizeof spill);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            const int error = errno;
            ::close(fd);
            throw InputError(path, "", "cannot read: " + systemError(error));
        }
        if (got == 0)
            break;
        if (!inside)
            bytes.append(spill, static_cast<std::size_t>(got));
        done += static_cast<std::size_t>(got);
    }
    ::close(fd);
    bytes.resize(done);
    return bytes;
}

std::string readTextFile(const std::string& path)
{
    std::string text = readFileBytes(path);
    const auto starts = [&](const char* prefix, std::size_t n) { return text.size() >= n && text.compare(0, n, prefix, n) == 0; };
    if (starts("\xFF\xFE\0\0", 4) || starts("\0\0\xFE\xFF", 4))
        throw InputError(path, "", "is UTF-32 text (it starts with a UTF-32 byte order mark); save it as UTF-8");
    if (starts("\xFF\xFE", 2) || starts("\xFE\xFF", 2))
        throw InputError(path, "", "is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8");
    const std::size_t head = std::min<std::size_t>(text.size(), 4096);
    if (text.find('\0') < head)
        throw InputError(path, "", "holds NUL bytes near its start: UTF-16 text without a byte order mark, or not "
                                   "text at all; save it as UTF-8 text");
    const std::size_t firstCr = text.find('\r');
    if (firstCr != std::string::npos && text.find('\n') == std::string::npos && firstCr + 1 < text.size())
        throw InputError(path, "", "ends its lines with CR alone (classic Mac OS); convert the line ends to LF or CRLF");
    return text;
}

std::string siblingPath(const std::string& path, const std::string& suffix)
{
    const fs::path p(path);
    return (p.parent_path() / (p.stem().string() + suffix)).string();
}

std::string csvNumber(double value)
{
    if (!std::isfinite(value))
        return {};
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.10g", value);
    return buffer;
}

namespace {

// Writes `data` to a fresh name beside `path`, created exclusively (mkostemp: O_CREAT | O_EXCL):
// it never follows a link planted at a guessable name, and two writers of one path never share
// a temporary. Flushed to disk; mode 0644. Returns its name; InputError (nothing left) on failure.
std::string writeTemporary(const std::string& path, std::string_view data)
{
    std::string temporary = path + ".tmp-XXXXXX";
    const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0)
        throw InputError(path, "", "cannot write: " + systemError(errno));
    ::fchmod(fd, 0644);
    const auto fail = [&](int error) {
        ::close(fd);
        ::unlink(temporary.c_str());
        throw InputError(path, "", "cannot write: " + systemError(error));
    };
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t wrote = ::write(fd, data.data() + done, data.size() - done);
        if (wrote < 0) {
            if (errno == EINTR)
                continue;
            fail(errno);
        }
        done += static_cast<std::size_t>(wrote);
    }
    if (::fsync(fd) != 0)
        fail(errno);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw InputError(path, "", "cannot write: " + systemError(error));
    }
    return temporary;
}

// A rename is only durable once the folder entry is on disk.
void syncFolderOf(const std::string& path)
{
    std::string folder = fs::path(path).parent_path().string();
    if (folder.empty())
        folder = ".";
    const int dirFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

}  // namespace

void writeFileAtomically(const std::string& path, std::string_view data)
{
    const std::string temporary = writeTemporary(path, data);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw InputError(path, "", "cannot replace the file: " + systemError(error));
    }
    syncFolderOf(path);
}

void writeFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files)
{
    std::vector<std::string> temporaries;
    temporaries.reserve(files.size());
    const auto removeFrom = [&](std::size_t first) {
        for (std::size_t i = first; i < temporaries.size(); ++i)
            ::unlink(temporaries[i].c_str());
    };
    try {
        for (const auto& [path, data] : files) {
            // What would make a rename fail is found before any file is replaced.
            struct stat info {};
            if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
                throw InputError(path, "", "is a folder; nothing of the set was written");
            temporaries.push_back(writeTemporary(path, data));
        }
    } catch (...) {
        removeFrom(0);
        throw;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (::rename(temporaries[i].c_str(), files[i].first.c_str()) != 0) {
            const int error = errno;
            removeFrom(i);
            throw InputError(files[i].first, "", "cannot replace the file: " + systemError(error)
                                                     + (i > 0 ? " (the files before it in the set were replaced)" : ""));
        }
    }
    for (const auto& file : files)
        syncFolderOf(file.first);
}

static bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

CsvReader::CsvReader(std::string_view text, std::string file, Separator separator)
    : text_(text), file_(std::move(file)), separator_(separator)
{
    if (text_.size() >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0)
        pos_ = 3;
}

std::string_view CsvReader::parseQuoted()
{
    const std::size_t n = text_.size();
    std::size_t p = pos_ + 1;
    const std::size_t start = p;
    bool doubled = false;
    while (true) {
        const std::size_t quote = text_.find('"', p);
        if (quote == std::string_view::npos)
            throw InputError(file_, lineName(), "quoted field is never closed");
        for (std::size_t i = p; i < quote; ++i)
            if (text_[i] == '\n')
                ++currentLine_;
        if (quote + 1 < n && text_[quote + 1] == '"') {
            doubled = true;
            p = quote + 2;
            continue;
        }
        pos_ = quote + 1;
        const std::string_view raw = text_.substr(start, quote - start);
        if (!doubled)
            return raw;
        std::string& unescaped = scratch_.emplace_back();
        unescaped.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            unescaped.push_back(raw[i]);
            if (raw[i] == '"')
                ++i;
        }
        return unescaped;
    }
}

bool CsvReader::next(std::vector<std::string_view>& fields)
{
    fields.clear();
    scratch_.clear();
    const std::size_t n = text_.size();
    while (true) {
        std::size_t p = pos_;
        while (p < n && (isBlank(text_[p]) || text_[p] == '\r'))
            ++p;
        if (p == n) {
            pos_ = n;
            return false;
        }
        if (text_[p] != '\n')
            break;
        pos_ = p + 1;
        ++currentLine_;
    }
    recordLine_ = currentLine_;
    const char* data = text_.data();

    if (separator_ == Separator::Whitespace) {
        std::size_t p = pos_;
        while (true) {
            while (p < n && (isBlank(data[p]) || data[p] == '\r'))
                ++p;
            if (p == n || data[p] == '\n')
                break;
            const std::size_t start = p;
            while (p < n && !isBlank(data[p]) && data[p] != '\r' && data[p] != '\n')
                ++p;
            fields.emplace_back(data + start, p - start);
        }
        if (p < n) {
            ++p;
            ++currentLine_;
        }
        pos_ = p;
        return true;
    }

    while (true) {
        while (pos_ < n && isBlank(data[pos_]))
            ++pos_;
        if (pos_ < n && data[pos_] == '"') {
            fields.push_back(parseQuoted());
            while (pos_ < n && (isBlank(data[pos_]) || data[pos_] == '\r'))
                ++pos_;
            if (pos_ < n && data[pos_] != ',' && data[pos_] != '\n')
                throw InputError(file_, lineName(), "unexpected text after a closing quote");
        } else {
            const std::size_t start = pos_;
            std::size_t p = pos_;
            while (p < n && data[p] != ',' && data[p] != '\n')
                ++p;
            pos_ = p;
            while (p > start && (isBlank(data[p - 1]) || data[p - 1] == '\r'))
                --p;
            fields.emplace_back(data + start, p - start);
        }
        if (pos_ < n && data[pos_] == ',') {
            ++pos_;
            continue;
        }
        if (pos_ < n) {
            ++pos_;
            ++currentLine_;
        }
        return true;
    }
}

std::string normalizedName(std::string_view text)
{
    std::size_t first = 0;
    std::size_t last = text.size();
    while (first < last && isBlank(text[first]))
        ++first;
    while (last > first && isBlank(text[last - 1]))
        --last;
    std::string out(text.substr(first, last - first));
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string csvField(const std::string& text)
{
    const bool needsQuotes = text.find_first_of(",\"\r\n") != std::string::npos
                             || (!text.empty() && (text.front() == ' ' || text.front() == '\t'
                                                   || text.back() == ' ' || text.back() == '\t'));
    if (!needsQuotes)
        return text;
    std::string out = "\"";
    for (char c : text) {
        out.push_back(c);
        if (c == '"')
            out.push_back('"');
    }
    out.push_back('"');
    return out;
}

}  // namespace crowdsift
