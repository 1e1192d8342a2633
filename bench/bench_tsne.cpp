// t-SNE on Fashion-MNIST (PCA-50 of the pixels): KL divergence, trustworthiness (k = 10) and time
// of crowdsift's engine on the first 5,000 and on all 70,000 images, beside scikit-learn's TSNE
// (Debian's python3-sklearn, bench/tsne_sklearn.py) on the same 5,000 in the same run.
//
//   bench_tsne [--data DIR] [--sizes 5000,70000] [--perplexity 30] [--iterations 750]
//              [--threads 0] [--seed 1] [--work DIR] [--no-sklearn] [--no-trust-large]
//              [--python bench/tsne_sklearn.py] [--interpreter /usr/bin/python3]
//
// --data defaults to /usr/share/datasets/fashion-mnist (train then t10k: 70,000 images).
// The PCA-50 inputs and the maps are written to --work (default bench-tsne-work) as .npy.
// --no-trust-large skips the exact trustworthiness of maps over 20,000 points (O(N^2)).

#include "analysis/tsne.h"
#include "images/idx.h"
#include "util/npy.h"

#include <Eigen/Dense>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

struct Options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::vector<std::size_t> sizes = {5000, 70000};
    TsneOptions tsne;
    std::string work = "bench-tsne-work";
    std::string python;
    std::string interpreter = "/usr/bin/python3";  // Debian's, which has numpy and sklearn
    bool sklearn = true;
    bool trustLarge = true;
};

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU seconds of this process (every thread, user + system): on a shared machine the wall time
// also counts the other programs' turns.
double cpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// The 70,000 images as rows of pixel / 255 (train first), projected on their 50 principal axes.
std::vector<float> fashionPca50(const std::string& folder, std::size_t& rows)
{
    std::vector<float> pixels;
    for (const char* name : {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"}) {
        const IdxArray images = readIdxUbyte(folder + "/" + name, 3);
        for (std::uint8_t v : images.data)
            pixels.push_back(v / 255.0f);
    }
    const std::size_t d = 28 * 28;
    rows = pixels.size() / d;
    Eigen::MatrixXd x = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                            pixels.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(d))
                            .cast<double>();
    x.rowwise() -= x.colwise().mean();
    const Eigen::MatrixXd covariance = x.adjoint() * x / static_cast<double>(rows - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
    Eigen::MatrixXd axes = solver.eigenvectors().rightCols(50).rowwise().reverse();
    for (Eigen::Index c = 0; c < axes.cols(); ++c) {
        Eigen::Index largest = 0;
        axes.col(c).cwiseAbs().maxCoeff(&largest);
        if (axes(largest, c) < 0)
            axes.col(c) = -axes.col(c);
    }
    const Eigen::MatrixXd projected = x * axes;
    std::vector<float> out(rows * 50);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t c = 0; c < 50; ++c)
            out[i * 50 + c] = static_cast<float>(projected(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)));
    return out;
}

struct Row {
    std::string method;
    std::size_t n = 0;
    double seconds = 0, kl = 0, trust = -1, cpu = -1;
};

std::string readFile(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

double jsonNumber(const std::string& text, const std::string& key)
{
    const std::size_t at = text.find("\"" + key + "\"");
    if (at == std::string::npos)
        throw std::runtime_error("sklearn baseline: no \"" + key + "\" in its output");
    return std::strtod(text.c_str() + text.find(':', at) + 1, nullptr);
}

}  // namespace

int main(int argc, char** argv)
{
    Options options;
    options.python = std::filesystem::path(argv[0]).parent_path().string() + "/tsne_sklearn.py";
    const std::string source = std::filesystem::path(__FILE__).parent_path().string() + "/tsne_sklearn.py";
    if (std::filesystem::exists(source))
        options.python = source;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        auto value = [&]() -> std::string {
            if (a + 1 >= argc)
                throw std::invalid_argument(arg + " needs a value");
            return argv[++a];
        };
        if (arg == "--data")
            options.data = value();
        else if (arg == "--sizes") {
            options.sizes.clear();
            std::stringstream list(value());
            for (std::string item; std::getline(list, item, ',');)
                options.sizes.push_back(std::stoul(item));
        } else if (arg == "--perplexity")
            options.tsne.perplexity = std::stod(value());
        else if (arg == "--iterations")
            options.tsne.iterations = std::stoi(value());
        else if (arg == "--threads")
            options.tsne.threads = std::stoi(value());
        else if (arg == "--seed")
            options.tsne.seed = std::stoull(value());
        else if (arg == "--work")
            options.work = value();
        else if (arg == "--python")
            options.python = value();
        else if (arg == "--interpreter")
            options.interpreter = value();
        else if (arg == "--no-sklearn")
            options.sklearn = false;
        else if (arg == "--no-trust-large")
            options.trustLarge = false;
        else {
            std::fprintf(stderr, "usage: bench_tsne [--data DIR] [--sizes 5000,70000] [--perplexity 30] "
                                 "[--iterations 750] [--threads 0] [--seed 1] [--work DIR] [--no-sklearn] "
                                 "[--no-trust-large] [--python FILE] [--interpreter PYTHON]\n");
            return 2;
        }
    }
    try {
        std::filesystem::create_directories(options.work);
        auto start = std::chrono::steady_clock::now();
        std::size_t rows = 0;
        const std::vector<float> pca = fashionPca50(options.data, rows);
        std::printf("Fashion-MNIST: %zu images, PCA-50 in %.1f s\n", rows, seconds(start));
        std::fflush(stdout);
        std::vector<Row> table;
        const int k = 10;
        for (std::size_t n : options.sizes) {
            n = std::min(n, rows);
            const std::string input = options.work + "/pca50_" + std::to_string(n) + ".npy";
            writeNpy(input, pca.data(), {n, 50});
            start = std::chrono::steady_clock::now();
            const double cpuStart = cpuSeconds();
            const TsneResult map = tsne(pca.data(), n, 50, options.tsne);
            Row row{"crowdsift", n, seconds(start), map.kl.back(), -1, cpuSeconds() - cpuStart};
            writeNpy(options.work + "/crowdsift_" + std::to_string(n) + ".npy", map.coords.data(), {n, 2});
            std::printf("crowdsift t-SNE, %zu points (%s): %.1f s (CPU %.1f s), KL %.4f\n", n,
                        map.exact ? "exact" : "FFT", row.seconds, row.cpu, row.kl);
            std::fflush(stdout);
            if (n <= 20000 || options.trustLarge) {
                start = std::chrono::steady_clock::now();
                row.trust = trustworthiness(pca.data(), 50, map.coords.data(), 2, n, k, options.tsne.threads);
                std::printf("  trustworthiness %.4f (%.1f s)\n", row.trust, seconds(start));
            }
            table.push_back(row);
            if (options.sklearn && n <= 20000) {
                const std::string report = options.work + "/sklearn_" + std::to_string(n) + ".json";
                const std::string embedding = options.work + "/sklearn_" + std::to_string(n) + ".npy";
                std::ostringstream command;
                command << "'" << options.interpreter << "' '" << options.python << "' '" << input << "' '" << report << "' '" << embedding
                        << "' --perplexity " << options.tsne.perplexity << " --k " << k << " --seed "
                        << options.tsne.seed;
                std::printf("sklearn baseline: %s\n", command.str().c_str());
                std::fflush(stdout);
                if (std::system(command.str().c_str()) != 0)
                    throw std::runtime_error("the sklearn baseline failed: " + command.str());
                const std::string text = readFile(report);
                Row base{"sklearn", n, jsonNumber(text, "seconds"), jsonNumber(text, "kl"),
                         jsonNumber(text, "trustworthiness"), jsonNumber(text, "cpu_seconds")};
                // Our trustworthiness on sklearn's map: checks our definition against theirs.
                const NpyArray theirs = readNpy(embedding);
                const std::vector<float> coords = theirs.as<float>();
                const double ours = trustworthiness(pca.data(), 50, coords.data(), 2, n, k, options.tsne.threads);
                std::printf("  sklearn: %.1f s (CPU %.1f s), KL %.4f, trustworthiness %.4f (crowdsift's function on "
                            "sklearn's map: %.4f)\n",
                            base.seconds, base.cpu, base.kl, base.trust, ours);
                table.push_back(base);
            }
        }
        std::printf("\n| method | points | time (s) | CPU time (s) | KL | trustworthiness (k=10) | time / sklearn | "
                    "CPU / sklearn | trust - sklearn |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (const Row& row : table) {
            const Row* base = nullptr;
            for (const Row& other : table)
                if (other.method == "sklearn" && other.n == row.n)
                    base = &other;
            char trust[32] = "-", ratio[32] = "-", cpuRatio[32] = "-", delta[32] = "-";
            if (row.trust >= 0)
                std::snprintf(trust, sizeof trust, "%.4f", row.trust);
            if (base) {
                std::snprintf(ratio, sizeof ratio, "%.2f", row.seconds / base->seconds);
                std::snprintf(cpuRatio, sizeof cpuRatio, "%.2f", row.cpu / base->cpu);
                if (row.trust >= 0)
                    std::snprintf(delta, sizeof delta, "%+.4f", row.trust - base->trust);
            }
            std::printf("| %s | %zu | %.1f | %.1f | %.3f | %s | %s | %s | %s |\n", row.method.c_str(), row.n,
                        row.seconds, row.cpu, row.kl, trust, ratio, cpuRatio, delta);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_tsne: %s\n", e.what());
        return 1;
    }
    return 0;
}
