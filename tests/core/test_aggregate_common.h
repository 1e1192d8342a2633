#pragma once

// Loaders for the peer reference outputs in ../shared/reference/<dataset>/ used by the
// aggregation tests: answers.csv (task,worker,label, 0-based contiguous indices), classes.csv,
// truth.csv, the peers' JSON files and the float64 .npy probability matrices.

#include "testdata.h"

#include "aggregate/result.h"
#include "data/dataset.h"
#include "data/formats.h"

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace crowdsift::testing {

inline QStringList referenceDatasets()
{
    return {"dog", "bluebirds", "labelme", "cifar10h500"};
}

// Whether the reference folder of `name` has truth.csv: every dataset but cifar10h500 (see
// ../shared/reference/README.md). A test never infers this from what happens to be on disk, so a
// lost truth file fails instead of silently turning accuracy checks off.
inline bool referenceHasTruth(const QString& name)
{
    return name != QLatin1String("cifar10h500");
}

// Data column "name" with one row per reference dataset, for the _data() slots.
inline void addDatasets()
{
    QTest::addColumn<QString>("name");
    for (const QString& name : referenceDatasets())
        QTest::newRow(qPrintable(name)) << name;
}

inline std::vector<std::vector<std::string>> readCsvRows(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (header) {
            header = false;
            continue;
        }
        if (line.empty())
            continue;
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ','))
            cells.push_back(cell);
        rows.push_back(cells);
    }
    return rows;
}

// The reference dataset with items, annotators and classes indexed as in the reference files:
// the project's own CSV reader orders the integer ids numerically, which is the reference index.
inline Dataset loadReferenceDataset(const QString& name)
{
    const QString dir = "reference/" + name + "/";
    const auto classes = readCsvRows(sharedPath(dir + "classes.csv"));
    ReadOptions options;
    options.format = Format::Csv;
    options.classCount = static_cast<int>(classes.size());
    if (referenceHasTruth(name)) {
        if (!sharedExists(dir + "truth.csv"))
            throw std::runtime_error("missing reference truth " + sharedPath(dir + "truth.csv"));
        options.truthPath = sharedPath(dir + "truth.csv");
    } else if (sharedExists(dir + "truth.csv")) {
        throw std::runtime_error("unexpected reference truth " + sharedPath(dir + "truth.csv")
                                 + ": update referenceHasTruth()");
    }
    Dataset d = readDataset(sharedPath(dir + "answers.csv"), options);
    d.name = name.toStdString();
    for (std::size_t c = 0; c < classes.size(); ++c)
        d.classNames[c] = classes[c].at(1);
    return d;
}

inline nlohmann::json loadReferenceJson(const QString& name, const QString& file)
{
    std::ifstream in(sharedPath("reference/" + name + "/" + file));
    if (!in)
        throw std::runtime_error("cannot open reference " + (name + "/" + file).toStdString());
    return nlohmann::json::parse(in);
}

// A float64 C-order 2-D .npy file.
inline RowMatrixXd loadNpyMatrix(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    char magic[8];
    in.read(magic, 8);
    if (std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw std::runtime_error("not a .npy file: " + path);
    std::uint32_t headerLength = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char*>(b), 2);
        headerLength = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        in.read(reinterpret_cast<char*>(b), 4);
        headerLength = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    }
    std::string header(headerLength, '\0');
    in.read(header.data(), headerLength);
    if (header.find("'<f8'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error("expected a C-order float64 array: " + path);
    const auto open = header.find('(');
    const auto close = header.find(')');
    std::stringstream shape(header.substr(open + 1, close - open - 1));
    long rows = 0;
    long cols = 0;
    char comma = 0;
    shape >> rows >> comma >> cols;
    RowMatrixXd m(rows, cols);
    in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(sizeof(double) * rows * cols));
    if (!in)
        throw std::runtime_error("truncated .npy file: " + path);
    return m;
}

inline RowMatrixXd jsonMatrix(const nlohmann::json& rows)
{
    const auto n = static_cast<Eigen::Index>(rows.size());
    const auto k = n == 0 ? 0 : static_cast<Eigen::Index>(rows[0].size());
    RowMatrixXd m(n, k);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < k; ++j)
            m(i, j) = rows[i][j].is_null() ? std::nan("") : rows[i][j].get<double>();
    return m;
}

inline Eigen::VectorXd jsonVector(const nlohmann::json& values)
{
    Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
    for (Eigen::Index i = 0; i < v.size(); ++i)
        v[i] = values[i].is_null() ? std::nan("") : values[i].get<double>();
    return v;
}

inline std::vector<int> jsonInts(const nlohmann::json& values)
{
    std::vector<int> v;
    for (const auto& x : values)
        v.push_back(x.get<int>());
    return v;
}

// Largest |a - b| over entries where both are finite; entries finite in one and not the other
// count as infinite.
inline double maxAbsDiff(const Eigen::Ref<const Eigen::MatrixXd>& a, const Eigen::Ref<const Eigen::MatrixXd>& b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        return INFINITY;
    double worst = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j) {
            const bool fa = std::isfinite(a(i, j));
            const bool fb = std::isfinite(b(i, j));
            if (fa != fb)
                return INFINITY;
            if (fa)
                worst = std::max(worst, std::abs(a(i, j) - b(i, j)));
        }
    return worst;
}

inline int countDifferent(const std::vector<int>& a, const std::vector<int>& b)
{
    int n = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        n += a[i] != b[i] ? 1 : 0;
    return n + static_cast<int>(std::max(a.size(), b.size()) - std::min(a.size(), b.size()));
}

}  // namespace crowdsift::testing

// Fails the current test unless the reference folder of `name` holds what loadReferenceDataset()
// reads: answers.csv, classes.csv and, where the dataset has truth, truth.csv.
#define CROWDSIFT_REQUIRE_REFERENCE(name)                                                        \
    do {                                                                                         \
        CROWDSIFT_REQUIRE_SHARED("reference/" + (name) + "/answers.csv");                        \
        CROWDSIFT_REQUIRE_SHARED("reference/" + (name) + "/classes.csv");                        \
        if (crowdsift::testing::referenceHasTruth(name))                                         \
            CROWDSIFT_REQUIRE_SHARED("reference/" + (name) + "/truth.csv");                      \
    } while (false)

// Fails the current test unless the dataset has truth exactly when the peer's reference output
// scored an accuracy (its "accuracy" is null without truth).
#define CROWDSIFT_COMPARE_TRUTH(dataset, ref)                                                    \
    QVERIFY2((dataset).hasTruth() == !(ref)["accuracy"].is_null(),                               \
             (dataset).hasTruth() ? "the dataset has truth but the reference scored no accuracy" \
                                  : "the reference scored an accuracy but the dataset has no truth")
