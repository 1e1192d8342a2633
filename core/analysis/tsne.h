#pragma once

// t-SNE (van der Maaten & Hinton 2008) of N points in D dimensions onto the plane.
//
// - Affinities: for each point a Gaussian over its neighbours whose bandwidth is calibrated by
//   bisection so that the conditional distribution's entropy is log(perplexity) (natural log);
//   P = (P_cond + P_cond^T) / (2N). Exact method: all N - 1 other points; FFT method: the
//   min(N - 1, 3 * perplexity) nearest neighbours found by hnswlib (HNSW graph built in one thread
//   with the seed, so it is reproducible; queried on every core).
// - Initialisation: the first two principal components of X, scaled so that the first has
//   standard deviation 1e-4 (Kobak & Linderman 2021), or seeded Gaussian noise of that scale.
// - Optimisation: gradient descent with momentum (0.5 during early exaggeration, 0.8 after) and
//   the delta-bar-delta gains of the reference implementation (+0.2 / x0.8, floor 0.01); early
//   exaggeration 12 for the first 250 iterations; learning rate max(N / exaggeration, 200)
//   (Belkina et al. 2019). The gradient is written without the constant factor 4:
//   g_i = sum_j (a * p_ij - q_ij) w_ij (y_i - y_j), w_ij = 1 / (1 + |y_i - y_j|^2), q_ij = w_ij / Z,
//   Z = sum_{k != l} w_kl, a = the exaggeration.
// - Repulsion: exact O(N^2) below `exactBelow` points (or on request); above, FIt-SNE's
//   interpolation (Linderman et al. 2019): the square bounding box of the map cut into
//   max(50, extent) boxes per side, `interpolationPoints` equispaced nodes per box and side,
//   Lagrange interpolation of the charges (1, y_1, y_2, |y|^2) onto the nodes, their convolution
//   with the kernel w^2 on the node grid by FFT (FFTW, zero-padded circulant embedding), and
//   interpolation of the potentials back to the points.
// - KL divergence KL(P || Q) of the unexaggerated P: exact (every pair) with the exact method; with
//   the FFT method the standard estimate sum over the stored (sparse) p_ij of p_ij log(p_ij Z / w_ij)
//   with Z from the interpolation.
//
// Reproducible: the same input, options and seed give bit-identical coordinates whatever the
// number of threads (every parallel reduction runs over a fixed partition in a fixed order).

#include "util/progress.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

enum class TsneMethod { Auto, Exact, Fft };
enum class TsneInit { Pca, Random };

struct TsneOptions {
    double perplexity = 30.0;      // > 0; must be < N (reduced to (N - 1) / 3 for the FFT method's k-NN)
    int iterations = 750;          // total, early exaggeration included
    int earlyIterations = 250;     // iterations with the early exaggeration
    double earlyExaggeration = 12.0;
    double exaggeration = 1.0;     // after the early phase
    double learningRate = 0.0;     // <= 0: max(N / earlyExaggeration, 200)
    TsneMethod method = TsneMethod::Auto;
    int exactBelow = 1000;         // Auto: exact when N < exactBelow
    TsneInit init = TsneInit::Pca;
    std::uint64_t seed = 1;        // the k-NN graph and the random initialisation
    int threads = 0;               // 0 = every core; the result does not depend on it
    int klEvery = 50;              // record the KL divergence every klEvery iterations and at the end
    int interpolationPoints = 3;   // FFT method: nodes per box and side
    int minIntervals = 50;         // FFT method: boxes per side at least
    double intervalsPerUnit = 1.0; // FFT method: boxes per unit of map extent
};

struct TsneResult {
    std::vector<float> coords;           // N x 2, row-major
    std::vector<double> kl;              // KL divergence at each recorded iteration
    std::vector<std::int32_t> klIteration;  // 1-based iteration of each kl value
    bool exact = false;                  // exact gradient (and exact KL) used
    double perplexity = 0.0;             // the perplexity actually used
};

// Maps `x` (n x d, row-major, finite) to the plane. Progress: a stage for the affinities, then one
// step per iteration ("t-SNE iteration i/n"); throws Cancelled within one iteration of a cancel.
// std::invalid_argument for n < 4, d < 1, a non-finite value, or bad options.
TsneResult tsne(const float* x, std::size_t n, std::size_t d, const TsneOptions& options,
                Progress& progress = Progress::none());

// --- Building blocks, public for tests and the benchmark. ---

// The conditional Gaussian affinities of one point: given squared distances `dist2` to its
// candidate neighbours, the row p (same length, sums to 1) whose entropy (natural log) is
// log(perplexity) within `tolerance`. Returns the precision beta = 1 / (2 sigma^2) found.
double calibrateRow(const double* dist2, std::size_t count, double perplexity, double* p, double tolerance = 1e-5);

// Symmetric joint affinities P (n x n dense, row-major, sums to 1) of the exact method.
std::vector<double> exactAffinities(const float* x, std::size_t n, std::size_t d, double perplexity);

// The exact gradient (n x 2, without the factor 4, see above) of KL(a P || Q) at y (n x 2) for a
// dense P (n x n); returns the KL divergence of P (not exaggerated).
double exactGradient(const std::vector<double>& p, const std::vector<double>& y, std::size_t n, double exaggeration,
                     std::vector<double>& gradient);

// The repulsive part of the gradient by FFT interpolation: rep (n x 2) = sum_j w_ij^2 (y_i - y_j) / Z
// and Z = sum_{i != j} w_ij. `options` supplies the interpolation settings.
double fftRepulsion(const std::vector<double>& y, std::size_t n, const TsneOptions& options,
                    std::vector<double>& repulsion);

// Trustworthiness (Venna & Kaski 2001; scikit-learn's definition) of the embedding y (n x dy) of
// x (n x dx), k neighbours, computed exactly (all pairs, on every core):
// T = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k), U_k(i) the embedding's k
// nearest neighbours of i that are not among its k nearest in x, r(i, j) j's rank among i's
// neighbours in x (1 = nearest). Requires k < n / 2.
double trustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n, int k,
                       int threads = 0);

}  // namespace crowdsift
