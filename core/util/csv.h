#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crowdsift {

// The whole file in memory: one read instead of per-line stream parsing. Throws InputError
// when the file cannot be opened or read, or is not a regular file (a FIFO, /dev/zero: they
// would hang or never end).
std::string readFileBytes(const std::string& path);

// A text file (CSV, JSON) as readFileBytes() reads it, refused with a message saying what it is
// when it is not UTF-8 text the readers can split into lines: UTF-16 or UTF-32 (by byte order
// mark, or NUL bytes near the start), or lines ended by CR alone (classic Mac OS), which would
// read as one line echoed whole in the next error.
std::string readTextFile(const std::string& path);

// Replaces `path` with `data` so that a crash never leaves half a file: writes a temporary
// `path.tmp-XXXXXX` with a fresh name created exclusively (never a link planted there, never
// another writer's), fsyncs it, renames it over `path`, fsyncs the folder. Mode 0644. Throws
// InputError on failure (and removes the temporary file).
void writeFileAtomically(const std::string& path, std::string_view data);

// Replaces a set of files (path, content) together, e.g. the .npy files of one export: every
// file is first written to its own fresh temporary beside it and flushed, and only when all are
// written are they renamed into place. A failure to write (a full disk, a folder that cannot be
// written) changes none of them; only a failing rename, of a name in a folder that was just
// written, could leave the first renamed ones new, and the message says so.
void writeFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files);

// `path` with its extension replaced by `suffix`: ("out/x.csv", ".annotators.csv") ->
// "out/x.annotators.csv". Names the companion files of an export.
std::string siblingPath(const std::string& path, const std::string& suffix);

// A number for a CSV cell of an export: 10 significant digits ("%.10g"), "" for NaN and
// infinities (pandas reads an empty cell as NaN).
std::string csvNumber(double value);

// Splits text into records and fields without copying: fields are views into the text (or,
// for quoted fields with doubled quotes, into storage owned by the reader, valid until the
// next call). A leading UTF-8 byte order mark is skipped, CRLF and LF line ends are accepted,
// blank lines are skipped, fields are trimmed of spaces and tabs.
//   Comma:      RFC 4180 fields: "a,b", "say ""hi""" and quoted line breaks.
//   Whitespace: fields separated by runs of spaces/tabs (Rodrigues answers.txt), no quoting.
class CsvReader {
public:
    enum class Separator { Comma, Whitespace };

    // `file` only names the file in error messages; `text` must outlive the reader.
    CsvReader(std::string_view text, std::string file, Separator separator = Separator::Comma);

    // Reads the next non-blank record into `fields`; returns false at the end of the text.
    // Throws InputError for an unterminated quoted field or text after a closing quote.
    bool next(std::vector<std::string_view>& fields);

    long long line() const { return recordLine_; }        // 1-based line the last record started on
    std::size_t offset() const { return pos_; }          // bytes consumed so far
    std::size_t size() const { return text_.size(); }
    const std::string& file() const { return file_; }
    std::string lineName() const { return "line " + std::to_string(recordLine_); }

private:
    std::string_view parseQuoted();

    std::string_view text_;
    std::string file_;
    Separator separator_;
    std::size_t pos_ = 0;
    long long currentLine_ = 1;
    long long recordLine_ = 0;
    std::deque<std::string> scratch_;
};

// Quotes a CSV field when it holds a comma, quote, line break or surrounding blanks.
std::string csvField(const std::string& text);

// Lower-case ASCII copy with surrounding spaces and tabs removed, for header names.
std::string normalizedName(std::string_view text);

}  // namespace crowdsift
