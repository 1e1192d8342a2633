#include "analysis/tsne.h"

#include "util/error.h"
#include "util/parallel.h"
#include "util/random.h"

#include <Eigen/Dense>
#include <fftw3.h>
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

namespace crowdsift {

namespace {

constexpr std::size_t kExactLimit = 5000;  // dense n x n affinities beyond this need too much memory
constexpr std::int64_t kRowBlock = 256;     // rows per block of every parallel loop over points

// FFTW's planner is not thread-safe; its execute functions on distinct arrays are.
std::mutex& fftwPlannerMutex()
{
    static std::mutex mutex;
    return mutex;
}

struct FftwFree {
    void operator()(void* p) const { fftw_free(p); }
};
using RealBuffer = std::unique_ptr<double[], FftwFree>;
using ComplexBuffer = std::unique_ptr<fftw_complex[], FftwFree>;

RealBuffer realBuffer(std::size_t count)
{
    return RealBuffer(static_cast<double*>(fftw_malloc(sizeof(double) * count)));
}

ComplexBuffer complexBuffer(std::size_t count)
{
    return ComplexBuffer(static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * count)));
}

// Sums per-block partial values in block order, so the total does not depend on the threads.
double orderedSum(const std::vector<double>& partial)
{
    double total = 0.0;
    for (double v : partial)
        total += v;
    return total;
}

bool smooth7(int value)
{
    for (int f : {2, 3, 5, 7})
        while (value % f == 0)
            value /= f;
    return value == 1;
}

// The repulsive forces by FIt-SNE's interpolation, keeping its FFT plans and buffers between
// iterations (the grid only grows or shrinks a little from one iteration to the next).
class FftRepulsionEngine {
public:
    FftRepulsionEngine(const TsneOptions& options, ThreadPool& pool) : options_(options), pool_(pool) {}
    ~FftRepulsionEngine() { destroyPlans(); }
    FftRepulsionEngine(const FftRepulsionEngine&) = delete;
    FftRepulsionEngine& operator=(const FftRepulsionEngine&) = delete;

    // rep (n x 2) = sum_j w_ij^2 (y_i - y_j) / Z; returns Z = sum_{i != j} w_ij.
    double compute(const std::vector<double>& y, std::size_t n, std::vector<double>& rep);

private:
    void prepareGrid(int nodes, double spacing);
    void destroyPlans();

    const TsneOptions& options_;
    ThreadPool& pool_;
    int boxes_ = 0;        // boxes per side of the last grid with the fixed spacing (see compute)
    int nodes_ = 0;        // interpolation nodes per side; the FFT is 2 nodes_ per side
    double spacing_ = 0;   // distance between neighbouring nodes
    bool kernelReady_ = false;
    std::size_t capacity_ = 0;  // real values each buffer holds
    fftw_plan forward_ = nullptr;
    fftw_plan backward_ = nullptr;
    RealBuffer kernel_;
    ComplexBuffer kernelHat_;
    std::vector<RealBuffer> grid_;       // 4 charges, 2 nodes_ x 2 nodes_ each (zero padded)
    std::vector<ComplexBuffer> gridHat_;
};

void FftRepulsionEngine::destroyPlans()
{
    std::lock_guard<std::mutex> lock(fftwPlannerMutex());
    if (forward_)
        fftw_destroy_plan(forward_);
    if (backward_)
        fftw_destroy_plan(backward_);
    forward_ = backward_ = nullptr;
}

// Buffers grow and never shrink, plans follow the side, and the kernel's transform is kept while
// the grid (node count and spacing) stays the same: once the map is wider than minIntervals boxes
// the spacing is fixed, so most iterations reuse it.
void FftRepulsionEngine::prepareGrid(int nodes, double spacing)
{
    if (nodes == nodes_ && spacing == spacing_)
        return;
    kernelReady_ = false;
    spacing_ = spacing;
    if (nodes == nodes_)
        return;
    destroyPlans();
    nodes_ = nodes;
    const int side = 2 * nodes;
    const std::size_t realCount = static_cast<std::size_t>(side) * side;
    if (realCount > capacity_) {
        capacity_ = realCount + realCount / 4;
        const std::size_t complexCapacity = capacity_ / 2 + 2 * static_cast<std::size_t>(side) + 2;
        kernel_ = realBuffer(capacity_);
        kernelHat_ = complexBuffer(complexCapacity);
        grid_.clear();
        gridHat_.clear();
        for (int c = 0; c < 4; ++c) {
            grid_.push_back(realBuffer(capacity_));
            gridHat_.push_back(complexBuffer(complexCapacity));
        }
    }
    std::lock_guard<std::mutex> lock(fftwPlannerMutex());
    // FFTW_ESTIMATE: planning takes no measurements (and never touches the arrays), so the plan,
    // and the rounding, is the same on every run.
    forward_ = fftw_plan_dft_r2c_2d(side, side, kernel_.get(), kernelHat_.get(), FFTW_ESTIMATE);
    backward_ = fftw_plan_dft_c2r_2d(side, side, gridHat_[0].get(), grid_[0].get(), FFTW_ESTIMATE);
    if (!forward_ || !backward_)
        throw std::runtime_error("t-SNE: FFTW could not plan a " + std::to_string(side) + "^2 transform");
}

double FftRepulsionEngine::compute(const std::vector<double>& y, std::size_t n, std::vector<double>& rep)
{
    const int p = options_.interpolationPoints;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (std::size_t i = 0; i < 2 * n; ++i) {
        lo = std::min(lo, y[i]);
        hi = std::max(hi, y[i]);
    }
    const double extent = std::max(hi - lo, 1e-9);
    int boxes = 0;
    double boxWidth = 0;
    if (extent * options_.intervalsPerUnit <= options_.minIntervals) {
        // A small map: minIntervals boxes over its bounding square (FIt-SNE).
        boxes = options_.minIntervals;
        while (!smooth7(boxes))
            ++boxes;
        boxWidth = extent / boxes;
        boxes_ = 0;
    } else {
        // A wide map: boxes of the fixed width 1 / intervalsPerUnit centred on it, their count
        // kept while the map fits and wastes under a quarter of it, so the kernel is reused.
        boxWidth = 1.0 / options_.intervalsPerUnit;
        const int needed = static_cast<int>(std::ceil(extent / boxWidth)) + 1;
        if (boxes_ < needed || boxes_ > needed + needed / 4) {
            boxes_ = needed;
            while (!smooth7(boxes_))
                ++boxes_;
        }
        boxes = boxes_;
        lo = 0.5 * (lo + hi) - 0.5 * boxes * boxWidth;
    }
    const int nodes = boxes * p;
    const double h = boxWidth / p;
    prepareGrid(nodes, h);
    const int side = 2 * nodes;
    const std::size_t realCount = static_cast<std::size_t>(side) * side;
    const std::size_t complexCount = static_cast<std::size_t>(side) * (side / 2 + 1);

    // Lagrange basis on the nodes (j + 0.5) / p of the unit box: L_j(t) = prod_{l != j} (t - t_l) / (t_j - t_l).
    std::vector<double> nodeT(p), denominator(p, 1.0);
    for (int j = 0; j < p; ++j)
        nodeT[j] = (j + 0.5) / p;
    for (int j = 0; j < p; ++j)
        for (int l = 0; l < p; ++l)
            if (l != j)
                denominator[j] *= nodeT[j] - nodeT[l];

    // Each point's box and interpolation weights along both axes.
    std::vector<int> box(2 * n);
    std::vector<double> weight(2 * n * p);
    const BlockPartition points(static_cast<std::int64_t>(n), kRowBlock * 16);
    pool_.run(points.blocks(), [&](std::int64_t block) {
        for (std::int64_t i = points.begin(block); i < points.end(block); ++i)
            for (int a = 0; a < 2; ++a) {
                const double u = (y[2 * i + a] - lo) / boxWidth;
                const int b = std::min(boxes - 1, std::max(0, static_cast<int>(u)));
                const double t = u - b;
                box[2 * i + a] = b;
                double* w = &weight[(2 * i + a) * p];
                for (int j = 0; j < p; ++j) {
                    double value = 1.0;
                    for (int l = 0; l < p; ++l)
                        if (l != j)
                            value *= t - nodeT[l];
                    w[j] = value / denominator[j];
                }
            }
    });

    // Points grouped by their box along the first axis (stable), so that each group writes only
    // its own p node rows: the scatter runs in parallel and sums in point order.
    std::vector<std::size_t> rowStart(boxes + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        ++rowStart[box[2 * i] + 1];
    for (int b = 0; b < boxes; ++b)
        rowStart[b + 1] += rowStart[b];
    std::vector<std::size_t> order(n);
    {
        std::vector<std::size_t> next(rowStart.begin(), rowStart.end() - 1);
        for (std::size_t i = 0; i < n; ++i)
            order[next[box[2 * i]]++] = i;
    }
    for (int c = 0; c < 4; ++c)
        std::fill(grid_[c].get(), grid_[c].get() + realCount, 0.0);
    pool_.run(boxes, [&](std::int64_t b) {
        for (std::size_t k = rowStart[b]; k < rowStart[b + 1]; ++k) {
            const std::size_t i = order[k];
            const double y0 = y[2 * i], y1 = y[2 * i + 1];
            const double charge[4] = {1.0, y0, y1, y0 * y0 + y1 * y1};
            const double* w0 = &weight[(2 * i) * p];
            const double* w1 = &weight[(2 * i + 1) * p];
            const int row0 = box[2 * i] * p, col0 = box[2 * i + 1] * p;
            for (int a = 0; a < p; ++a)
                for (int bb = 0; bb < p; ++bb) {
                    const double w = w0[a] * w1[bb];
                    const std::size_t at = static_cast<std::size_t>(row0 + a) * side + (col0 + bb);
                    for (int c = 0; c < 4; ++c)
                        grid_[c][at] += w * charge[c];
                }
        }
    });

    // The kernel w^2 = 1 / (1 + d^2)^2 on node offsets, embedded in a circulant of side 2 nodes.
    for (int r = 0; r < side && !kernelReady_; ++r) {
        const int dr = r < nodes ? r : (r == nodes ? 0 : r - side);
        for (int s = 0; s < side; ++s) {
            const int ds = s < nodes ? s : (s == nodes ? 0 : s - side);
            const double d2 = h * h * (static_cast<double>(dr) * dr + static_cast<double>(ds) * ds);
            const double k = 1.0 / (1.0 + d2);
            kernel_[static_cast<std::size_t>(r) * side + s] = (r == nodes || s == nodes) ? 0.0 : k * k;
        }
    }
    // Charges (and a new kernel) to the Fourier domain, products, back (4 transforms).
    pool_.run(kernelReady_ ? 4 : 5, [&](std::int64_t c) {
        if (c == 4)
            fftw_execute_dft_r2c(forward_, kernel_.get(), kernelHat_.get());
        else
            fftw_execute_dft_r2c(forward_, grid_[c].get(), gridHat_[c].get());
    });
    kernelReady_ = true;
    const double scale = 1.0 / static_cast<double>(realCount);
    pool_.run(4, [&](std::int64_t c) {
        fftw_complex* g = gridHat_[c].get();
        const fftw_complex* k = kernelHat_.get();
        for (std::size_t j = 0; j < complexCount; ++j) {
            const double re = g[j][0] * k[j][0] - g[j][1] * k[j][1];
            const double im = g[j][0] * k[j][1] + g[j][1] * k[j][0];
            g[j][0] = re * scale;
            g[j][1] = im * scale;
        }
        fftw_execute_dft_c2r(backward_, g, grid_[c].get());
    });

    // Potentials back at the points; Z from sum_j w_ij = (1 + |y_i|^2) phi_0 - 2 y_i . phi_12 + phi_3.
    rep.assign(2 * n, 0.0);
    std::vector<double> partialZ(points.blocks(), 0.0);
    pool_.run(points.blocks(), [&](std::int64_t block) {
        double z = 0.0;
        for (std::int64_t i = points.begin(block); i < points.end(block); ++i) {
            double phi[4] = {0.0, 0.0, 0.0, 0.0};
            const double* w0 = &weight[(2 * i) * p];
            const double* w1 = &weight[(2 * i + 1) * p];
            const int row0 = box[2 * i] * p, col0 = box[2 * i + 1] * p;
            for (int a = 0; a < p; ++a)
                for (int bb = 0; bb < p; ++bb) {
                    const double w = w0[a] * w1[bb];
                    const std::size_t at = static_cast<std::size_t>(row0 + a) * side + (col0 + bb);
                    for (int c = 0; c < 4; ++c)
                        phi[c] += w * grid_[c][at];
                }
            const double y0 = y[2 * i], y1 = y[2 * i + 1];
            z += (1.0 + y0 * y0 + y1 * y1) * phi[0] - 2.0 * (y0 * phi[1] + y1 * phi[2]) + phi[3] - 1.0;
            rep[2 * i] = y0 * phi[0] - phi[1];
            rep[2 * i + 1] = y1 * phi[0] - phi[2];
        }
        partialZ[block] = z;
    });
    const double z = orderedSum(partialZ);
    for (double& r : rep)
        r /= z;
    return z;
}

// Sparse symmetric P in compressed rows.
struct SparseP {
    std::vector<std::size_t> start;  // n + 1
    std::vector<std::int32_t> column;
    std::vector<double> value;
};

void checkInput(const float* x, std::size_t n, std::size_t d)
{
    if (n < 4)
        throw std::invalid_argument("t-SNE needs at least 4 points, got " + std::to_string(n));
    if (d < 1)
        throw std::invalid_argument("t-SNE needs at least one input dimension");
    for (std::size_t i = 0; i < n * d; ++i)
        if (!std::isfinite(x[i]))
            throw std::invalid_argument("t-SNE input: row " + std::to_string(i / d) + ", column " +
                                        std::to_string(i % d) + " is not a finite number");
}

// k nearest neighbours of every row (self excluded) with an HNSW graph; squared distances.
void nearestNeighbours(const float* x, std::size_t n, std::size_t d, std::size_t k, std::uint64_t seed,
                       ThreadPool& pool, Progress& progress, std::vector<std::int32_t>& index,
                       std::vector<double>& dist2)
{
    hnswlib::L2Space space(d);
    hnswlib::HierarchicalNSW<float> graph(&space, n, 16, 100, static_cast<std::size_t>(seed));
    // One thread: the graph, and so the neighbours found, depend on the insertion order.
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 1024 == 0)
            progress.step(static_cast<double>(i), static_cast<double>(n), "t-SNE: nearest neighbours");
        graph.addPoint(x + i * d, i);
    }
    graph.setEf(k + 33);
    index.assign(n * k, 0);
    dist2.assign(n * k, 0.0);
    const BlockPartition rows(static_cast<std::int64_t>(n), kRowBlock);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        progress.check();
        std::vector<std::pair<double, std::int32_t>> found;
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i) {
            auto queue = graph.searchKnn(x + i * d, k + 1);
            found.clear();
            while (!queue.empty()) {
                if (static_cast<std::int64_t>(queue.top().second) != i)
                    found.emplace_back(static_cast<double>(queue.top().first),
                                       static_cast<std::int32_t>(queue.top().second));
                queue.pop();
            }
            std::sort(found.begin(), found.end());
            if (found.size() < k)
                throw std::runtime_error("t-SNE: the neighbour graph returned fewer than k neighbours");
            for (std::size_t j = 0; j < k; ++j) {
                index[i * k + j] = found[j].second;
                dist2[i * k + j] = found[j].first;
            }
        }
    });
}

SparseP sparseAffinities(const float* x, std::size_t n, std::size_t d, double perplexity, std::uint64_t seed,
                         ThreadPool& pool, Progress& progress)
{
    const std::size_t k = std::min<std::size_t>(n - 1, static_cast<std::size_t>(std::floor(3.0 * perplexity)));
    std::vector<std::int32_t> index;
    std::vector<double> dist2;
    nearestNeighbours(x, n, d, k, seed, pool, progress, index, dist2);
    progress.stage("t-SNE: affinities");
    std::vector<double> conditional(n * k);
    const BlockPartition rows(static_cast<std::int64_t>(n), kRowBlock);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i)
            calibrateRow(&dist2[i * k], k, perplexity, &conditional[i * k]);
    });
    // P = (P_cond + P_cond^T) / 2n: every stored (i, j) also contributes to row j.
    SparseP p;
    p.start.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            ++p.start[i + 1];
            ++p.start[index[i * k + j] + 1];
        }
    for (std::size_t i = 0; i < n; ++i)
        p.start[i + 1] += p.start[i];
    std::vector<std::pair<std::int32_t, double>> entries(p.start[n]);
    {
        std::vector<std::size_t> next(p.start.begin(), p.start.end() - 1);
        const double norm = 1.0 / (2.0 * static_cast<double>(n));
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < k; ++j) {
                const std::int32_t other = index[i * k + j];
                const double v = conditional[i * k + j] * norm;
                entries[next[i]++] = {other, v};
                entries[next[other]++] = {static_cast<std::int32_t>(i), v};
            }
    }
    // Sort each row by column and merge the two halves of a mutual pair.
    std::vector<std::size_t> kept(n, 0);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i) {
            auto first = entries.begin() + static_cast<std::ptrdiff_t>(p.start[i]);
            auto last = entries.begin() + static_cast<std::ptrdiff_t>(p.start[i + 1]);
            std::sort(first, last, [](const auto& a, const auto& b) { return a.first < b.first; });
            auto out = first;
            for (auto it = first; it != last; ++it) {
                if (out != first && (out - 1)->first == it->first)
                    (out - 1)->second += it->second;
                else
                    *out++ = *it;
            }
            kept[i] = static_cast<std::size_t>(out - first);
        }
    });
    std::vector<std::size_t> start(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        start[i + 1] = start[i] + kept[i];
    p.column.resize(start[n]);
    p.value.resize(start[n]);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < kept[i]; ++j) {
            p.column[start[i] + j] = entries[p.start[i] + j].first;
            p.value[start[i] + j] = entries[p.start[i] + j].second;
        }
    p.start = std::move(start);
    return p;
}

// Attractive forces sum_j p_ij w_ij (y_i - y_j) (n x 2) and, when wanted, sum p_ij log(p_ij / w_ij).
double attraction(const SparseP& p, const std::vector<double>& y, std::size_t n, ThreadPool& pool,
                  std::vector<double>& attract, bool wantKl)
{
    attract.assign(2 * n, 0.0);
    const BlockPartition rows(static_cast<std::int64_t>(n), kRowBlock);
    std::vector<double> partial(rows.blocks(), 0.0);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        double kl = 0.0;
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i) {
            double f0 = 0.0, f1 = 0.0;
            const double y0 = y[2 * i], y1 = y[2 * i + 1];
            for (std::size_t e = p.start[i]; e < p.start[i + 1]; ++e) {
                const std::size_t j = static_cast<std::size_t>(p.column[e]);
                const double d0 = y0 - y[2 * j], d1 = y1 - y[2 * j + 1];
                const double w = 1.0 / (1.0 + d0 * d0 + d1 * d1);
                const double pw = p.value[e] * w;
                f0 += pw * d0;
                f1 += pw * d1;
                if (wantKl && p.value[e] > 0.0)
                    kl += p.value[e] * std::log(p.value[e] / w);
            }
            attract[2 * i] = f0;
            attract[2 * i + 1] = f1;
        }
        partial[block] = kl;
    });
    return orderedSum(partial);
}

// The first two principal components of x, the first scaled to standard deviation 1e-4.
std::vector<double> pcaInit(const float* x, std::size_t n, std::size_t d, std::uint64_t seed)
{
    Eigen::MatrixXd centred =
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            x, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d))
            .cast<double>();
    centred.rowwise() -= centred.colwise().mean();
    const Eigen::MatrixXd covariance = (centred.adjoint() * centred) / static_cast<double>(n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
    std::vector<double> y(2 * n, 0.0);
    const int components = std::min<int>(2, static_cast<int>(d));
    for (int c = 0; c < components; ++c) {
        Eigen::VectorXd v = solver.eigenvectors().col(static_cast<Eigen::Index>(d) - 1 - c);
        Eigen::Index largest = 0;
        v.cwiseAbs().maxCoeff(&largest);
        if (v[largest] < 0)  // a fixed sign, so the map does not flip between platforms
            v = -v;
        const Eigen::VectorXd projected = centred * v;
        for (std::size_t i = 0; i < n; ++i)
            y[2 * i + c] = projected[static_cast<Eigen::Index>(i)];
    }
    if (components < 2) {  // one input dimension: the second axis is seeded noise
        PortableRandom random(seed);
        for (std::size_t i = 0; i < n; ++i)
            y[2 * i + 1] = random.uniform(-1.0, 1.0);
    }
    for (int c = 1; c >= 0; --c) {
        double mean = 0.0, square = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            mean += y[2 * i + c];
        mean /= n;
        for (std::size_t i = 0; i < n; ++i)
            square += (y[2 * i + c] - mean) * (y[2 * i + c] - mean);
        const double sd = std::sqrt(square / n);
        if (c == 0 && sd > 0) {
            for (double& v : y)
                v *= 1e-4 / sd;
        } else if (c == 1 && sd == 0) {
            PortableRandom random(seed);
            for (std::size_t i = 0; i < n; ++i)
                y[2 * i + 1] = random.uniform(-1.0, 1.0) * 1e-4;
        }
    }
    return y;
}

std::vector<double> randomInit(std::size_t n, std::uint64_t seed)
{
    PortableRandom random(seed);
    std::vector<double> y(2 * n);
    for (std::size_t i = 0; i < 2 * n; i += 2) {  // Box-Muller on the portable uniforms
        const double u = 1.0 - random.uniform(), v = random.uniform();
        const double radius = std::sqrt(-2.0 * std::log(u)) * 1e-4;
        y[i] = radius * std::cos(2.0 * M_PI * v);
        y[i + 1] = radius * std::sin(2.0 * M_PI * v);
    }
    return y;
}

}  // namespace

double calibrateRow(const double* dist2, std::size_t count, double perplexity, double* p, double tolerance)
{
    if (count == 0)
        return 0.0;
    const double target = std::log(perplexity);
    double nearest = std::numeric_limits<double>::infinity(), mean = 0.0;
    for (std::size_t j = 0; j < count; ++j)
        nearest = std::min(nearest, dist2[j]);
    for (std::size_t j = 0; j < count; ++j)
        mean += dist2[j] - nearest;
    mean /= static_cast<double>(count);
    double beta = mean > 0 ? 1.0 / mean : 1.0;
    double low = 0.0, high = std::numeric_limits<double>::infinity();
    for (int round = 0; round < 200; ++round) {
        // Shifted by the nearest distance: the same row after normalising, without underflow.
        double sum = 0.0, weighted = 0.0;
        for (std::size_t j = 0; j < count; ++j) {
            p[j] = std::exp(-beta * (dist2[j] - nearest));
            sum += p[j];
            weighted += (dist2[j] - nearest) * p[j];
        }
        const double entropy = std::log(sum) + beta * weighted / sum;
        for (std::size_t j = 0; j < count; ++j)
            p[j] /= sum;
        if (std::abs(entropy - target) < tolerance)
            break;
        if (entropy > target) {
            low = beta;
            beta = std::isinf(high) ? beta * 2.0 : 0.5 * (beta + high);
        } else {
            high = beta;
            beta = 0.5 * (beta + low);
        }
    }
    return beta;
}

std::vector<double> exactAffinities(const float* x, std::size_t n, std::size_t d, double perplexity)
{
    std::vector<double> p(n * n, 0.0);
    std::vector<double> dist2(n - 1), row(n - 1);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0, at = 0; j < n; ++j) {
            if (j == i)
                continue;
            double s = 0.0;
            for (std::size_t c = 0; c < d; ++c) {
                const double diff = static_cast<double>(x[i * d + c]) - x[j * d + c];
                s += diff * diff;
            }
            dist2[at++] = s;
        }
        calibrateRow(dist2.data(), n - 1, perplexity, row.data());
        for (std::size_t j = 0, at = 0; j < n; ++j)
            if (j != i)
                p[i * n + j] = row[at++];
    }
    const double norm = 1.0 / (2.0 * static_cast<double>(n));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            const double v = (p[i * n + j] + p[j * n + i]) * norm;
            p[i * n + j] = p[j * n + i] = v;
        }
    return p;
}

namespace {

double exactGradientOn(const std::vector<double>& p, const std::vector<double>& y, std::size_t n, double exaggeration,
                       std::vector<double>& gradient, ThreadPool& pool)
{
    const BlockPartition rows(static_cast<std::int64_t>(n), 64);
    std::vector<double> partialZ(rows.blocks(), 0.0), partialKl(rows.blocks(), 0.0);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        double z = 0.0;
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i)
            for (std::size_t j = 0; j < n; ++j)
                if (j != static_cast<std::size_t>(i)) {
                    const double d0 = y[2 * i] - y[2 * j], d1 = y[2 * i + 1] - y[2 * j + 1];
                    z += 1.0 / (1.0 + d0 * d0 + d1 * d1);
                }
        partialZ[block] = z;
    });
    const double z = orderedSum(partialZ);
    gradient.assign(2 * n, 0.0);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        double kl = 0.0;
        for (std::int64_t i = rows.begin(block); i < rows.end(block); ++i) {
            double g0 = 0.0, g1 = 0.0;
            for (std::size_t j = 0; j < n; ++j) {
                if (j == static_cast<std::size_t>(i))
                    continue;
                const double d0 = y[2 * i] - y[2 * j], d1 = y[2 * i + 1] - y[2 * j + 1];
                const double w = 1.0 / (1.0 + d0 * d0 + d1 * d1);
                const double pij = p[i * n + j];
                const double f = (exaggeration * pij - w / z) * w;
                g0 += f * d0;
                g1 += f * d1;
                if (pij > 0.0)
                    kl += pij * std::log(pij * z / w);
            }
            gradient[2 * i] = g0;
            gradient[2 * i + 1] = g1;
        }
        partialKl[block] = kl;
    });
    return orderedSum(partialKl);
}

}  // namespace

double exactGradient(const std::vector<double>& p, const std::vector<double>& y, std::size_t n, double exaggeration,
                     std::vector<double>& gradient)
{
    ThreadPool pool(1);
    return exactGradientOn(p, y, n, exaggeration, gradient, pool);
}

double fftRepulsion(const std::vector<double>& y, std::size_t n, const TsneOptions& options,
                    std::vector<double>& repulsion)
{
    ThreadPool pool(options.threads);
    FftRepulsionEngine engine(options, pool);
    return engine.compute(y, n, repulsion);
}

TsneResult tsne(const float* x, std::size_t n, std::size_t d, const TsneOptions& options, Progress& progress)
{
    checkInput(x, n, d);
    if (!(options.perplexity > 0.0) || options.iterations < 1 || options.earlyIterations < 0 ||
        options.klEvery < 1 || options.interpolationPoints < 2 || options.minIntervals < 1 ||
        !(options.intervalsPerUnit > 0.0))
        throw std::invalid_argument("t-SNE: perplexity must be > 0, iterations >= 1, klEvery >= 1, "
                                    "interpolationPoints >= 2, minIntervals >= 1 and intervalsPerUnit > 0");
    const bool exact = options.method == TsneMethod::Exact ||
                       (options.method == TsneMethod::Auto && n < static_cast<std::size_t>(options.exactBelow));
    if (exact && n > kExactLimit)
        throw std::invalid_argument("t-SNE: the exact method keeps n x n affinities and is limited to " +
                                    std::to_string(kExactLimit) + " points (got " + std::to_string(n) + ")");
    TsneResult result;
    result.exact = exact;
    // A perplexity must stay below the number of neighbours a point has.
    result.perplexity = std::min(options.perplexity, static_cast<double>(n - 1) / 3.0);
    ThreadPool pool(options.threads);

    progress.stage("t-SNE: affinities");
    std::vector<double> denseP;
    SparseP sparseP;
    if (exact)
        denseP = exactAffinities(x, n, d, result.perplexity);
    else
        sparseP = sparseAffinities(x, n, d, result.perplexity, options.seed, pool, progress);

    progress.stage("t-SNE: initialisation");
    std::vector<double> y = options.init == TsneInit::Pca ? pcaInit(x, n, d, options.seed) : randomInit(n, options.seed);
    const double learningRate =
        options.learningRate > 0.0 ? options.learningRate : std::max(n / options.earlyExaggeration, 200.0);

    std::vector<double> gradient(2 * n), update(2 * n, 0.0), gains(2 * n, 1.0), attract, repel;
    FftRepulsionEngine fft(options, pool);
    const std::string stage = "t-SNE: optimising the map";
    progress.stage(stage);
    for (int it = 0; it < options.iterations; ++it) {
        progress.check();
        const bool early = it < options.earlyIterations;
        const double exaggeration = early ? options.earlyExaggeration : options.exaggeration;
        const double momentum = early ? 0.5 : 0.8;
        const bool wantKl = (it + 1) % options.klEvery == 0 || it + 1 == options.iterations;
        double kl = 0.0;
        if (exact) {
            kl = exactGradientOn(denseP, y, n, exaggeration, gradient, pool);
        } else {
            const double z = fft.compute(y, n, repel);
            const double crossTerm = attraction(sparseP, y, n, pool, attract, wantKl);
            for (std::size_t i = 0; i < 2 * n; ++i)
                gradient[i] = exaggeration * attract[i] - repel[i];
            // sum p log(p Z / w) = sum p log(p / w) + log Z (P sums to 1)
            kl = crossTerm + std::log(z);
        }
        for (std::size_t i = 0; i < 2 * n; ++i) {
            const bool sameSign = (gradient[i] > 0.0) == (update[i] > 0.0);
            gains[i] = sameSign ? std::max(gains[i] * 0.8, 0.01) : gains[i] + 0.2;
            update[i] = momentum * update[i] - learningRate * gains[i] * gradient[i];
            y[i] += update[i];
        }
        double mean0 = 0.0, mean1 = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            mean0 += y[2 * i];
            mean1 += y[2 * i + 1];
        }
        mean0 /= n;
        mean1 /= n;
        for (std::size_t i = 0; i < n; ++i) {
            y[2 * i] -= mean0;
            y[2 * i + 1] -= mean1;
        }
        if (wantKl) {
            result.kl.push_back(kl);
            result.klIteration.push_back(it + 1);
        }
        progress.step(it + 1, options.iterations, stage);
    }
    result.coords.resize(2 * n);
    for (std::size_t i = 0; i < 2 * n; ++i)
        result.coords[i] = static_cast<float>(y[i]);
    return result;
}

double trustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n, int k,
                       int threads)
{
    if (k < 1 || 2 * static_cast<std::size_t>(k) >= n)
        throw std::invalid_argument("trustworthiness: k must be in [1, n / 2)");
    using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowMatrix xs = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                             x, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(dx))
                             .cast<double>();
    const Eigen::VectorXd norms = xs.rowwise().squaredNorm();
    const std::int64_t blockRows = 64;
    const BlockPartition rows(static_cast<std::int64_t>(n), blockRows);
    std::vector<double> partial(rows.blocks(), 0.0);
    ThreadPool pool(threads);
    const std::size_t kk = static_cast<std::size_t>(k);
    pool.run(rows.blocks(), [&](std::int64_t block) {
        const std::int64_t b0 = rows.begin(block), count = rows.end(block) - b0;
        // Squared distances in x by |a|^2 + |b|^2 - 2 a.b, one block of rows at a time.
        const RowMatrix cross = xs.middleRows(b0, count) * xs.transpose();
        std::vector<std::pair<double, std::int32_t>> nearX(n), nearY(n);
        std::vector<double> dX(n);
        double sum = 0.0;
        for (std::int64_t r = 0; r < count; ++r) {
            const std::size_t i = static_cast<std::size_t>(b0 + r);
            for (std::size_t j = 0; j < n; ++j) {
                dX[j] = norms[i] + norms[j] - 2.0 * cross(r, static_cast<Eigen::Index>(j));
                double s = 0.0;
                for (std::size_t c = 0; c < dy; ++c) {
                    const double diff = static_cast<double>(y[i * dy + c]) - y[j * dy + c];
                    s += diff * diff;
                }
                nearX[j] = {dX[j], static_cast<std::int32_t>(j)};
                nearY[j] = {s, static_cast<std::int32_t>(j)};
            }
            // Self goes first (distance -1), then ties broken by index.
            nearX[i].first = -1.0;
            nearY[i].first = -1.0;
            std::nth_element(nearX.begin(), nearX.begin() + kk, nearX.end());
            std::nth_element(nearY.begin(), nearY.begin() + kk, nearY.end());
            std::vector<std::int32_t> inX;
            for (std::size_t j = 0; j <= kk; ++j)
                if (nearX[j].second != static_cast<std::int32_t>(i))
                    inX.push_back(nearX[j].second);
            std::sort(inX.begin(), inX.end());
            for (std::size_t j = 0; j <= kk; ++j) {
                const std::int32_t other = nearY[j].second;
                if (other == static_cast<std::int32_t>(i) || std::binary_search(inX.begin(), inX.end(), other))
                    continue;
                // Rank of `other` among i's neighbours in x (1 = nearest), ties by index.
                const std::pair<double, std::int32_t> key{dX[other], other};
                std::size_t rank = 0;
                for (std::size_t l = 0; l < n; ++l)
                    if (l != i && std::make_pair(dX[l], static_cast<std::int32_t>(l)) < key)
                        ++rank;
                sum += static_cast<double>(rank + 1) - k;
            }
        }
        partial[block] = sum;
    });
    const double total = orderedSum(partial);
    const double nn = static_cast<double>(n), kd = k;
    return 1.0 - 2.0 / (nn * kd * (2.0 * nn - 3.0 * kd - 1.0)) * total;
}

}  // namespace crowdsift
