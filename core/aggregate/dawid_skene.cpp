#include "aggregate/dawid_skene.h"

#include "aggregate/common.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <limits>
#include <string>

namespace crowdsift {

namespace {

#if defined(__GNUC__)
#define CROWDSIFT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CROWDSIFT_ALWAYS_INLINE inline
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#define CROWDSIFT_DISPATCH_AVX2 1
#else
#define CROWDSIFT_DISPATCH_AVX2 0
#endif

constexpr double kClip = 1e-10;
// Item blocks: at most 4 (each has an M x K x K count table that the M-step sums and clears), and
// never smaller than 1024 items. Annotator blocks: 32 annotators.
// Both depend on the data only, never on the thread count, so that every floating-point sum
// (within a block, then over blocks in order) is the same for any number of threads.
constexpr std::int64_t kMaxItemBlocks = 4;
constexpr std::int64_t kMinItemBlock = 1024;
constexpr std::int64_t kAnnotatorBlock = 32;
// Running products are rescaled when their largest entry falls below this; with every factor
// >= 1e-10 and a check every 8 answers they stay far from underflow.
constexpr double kRescaleBelow = 1e-150;
constexpr int kRescaleEvery = 8;
// The per-block product of the items' likelihoods is renormalised (by a power of 2) when it leaves
// [1 / kLikelihoodRange, kLikelihoodRange]: an item's sum is >= about 1e-150 * 1e-70 (a checked
// product times at most 7 more factors) and <= K, so the next product stays a normal double.
constexpr double kLikelihoodRange = 1e30;
// The confusion and count rows an item's answers touch are scattered over tables larger than
// the L2 cache; they are requested this many items ahead so that their latency overlaps work.
constexpr std::int64_t kPrefetchItems = 4;

enum class Model { Full, OneCoin, ClassConditional };

// dst += src over the K values of a table row (an Eigen map, so it vectorises).
inline void addRow(double* dst, const double* src, int k)
{
    Eigen::Map<Eigen::VectorXd>(dst, k) += Eigen::Map<const Eigen::VectorXd>(src, k);
}

// Asks the cache for the first and last line of the row of K doubles at `row` (all of it for
// K <= 10: 80 bytes at a 16-byte boundary span at most 2 lines).
inline void prefetchRow(const double* row, int k)
{
#if defined(__GNUC__)
    __builtin_prefetch(row);
    __builtin_prefetch(row + k - 1);
#else
    (void)row;
    (void)k;
#endif
}

// Double2 / Double4: GCC and Clang vector types. Outside an AVX2 function a Double4 is carried out
// as two SSE2 halves, so the kernel below is instantiated with W = 2 there and W = 4 only in the
// function compiled for AVX2.
using Double2 = double __attribute__((vector_size(16)));
using Double4 = double __attribute__((vector_size(32)));

// Unaligned load and store. Vectors go by reference: passing a Double4 by value would change the
// calling convention between the SSE2 and AVX2 instantiations.
template <class V>
CROWDSIFT_ALWAYS_INLINE void loadVector(V& v, const double* p)
{
    std::memcpy(&v, p, sizeof v);
}

template <class V>
CROWDSIFT_ALWAYS_INLINE void storeVector(double* p, const V& v)
{
    std::memcpy(p, &v, sizeof v);
}

// A K-vector held in SIMD registers: K / W chunks of W doubles (W = 2 or 4), then, for W = 4, a
// pair when K mod 4 >= 2, then a single double when K is odd. sum() adds the pairs (0, 1),
// (2, 3), ... in order, then the two lanes, then the odd last entry: the same bits for W = 2 and
// W = 4. Every other operation is element-wise, hence also the same bits.
template <int KC, int W>
struct Lanes {
    using Chunk = std::conditional_t<W == 4, Double4, Double2>;
    static constexpr int kChunks = KC / W;
    static constexpr bool kPair = W == 4 && KC % 4 >= 2;
    static constexpr bool kSingle = KC % 2 == 1;
    static constexpr int kPairAt = kChunks * W;

    Chunk chunk[kChunks > 0 ? kChunks : 1] = {};
    Double2 pair{};
    double single = 0;

    explicit Lanes(int) {}

    CROWDSIFT_ALWAYS_INLINE void load(const double* p)
    {
        for (int j = 0; j < kChunks; ++j)
            loadVector(chunk[j], p + j * W);
        if constexpr (kPair)
            loadVector(pair, p + kPairAt);
        if constexpr (kSingle)
            single = p[KC - 1];
    }
    CROWDSIFT_ALWAYS_INLINE void store(double* p) const
    {
        for (int j = 0; j < kChunks; ++j)
            storeVector(p + j * W, chunk[j]);
        if constexpr (kPair)
            storeVector(p + kPairAt, pair);
        if constexpr (kSingle)
            p[KC - 1] = single;
    }
    CROWDSIFT_ALWAYS_INLINE void zero()
    {
        for (int j = 0; j < kChunks; ++j)
            chunk[j] = Chunk{};
        pair = Double2{};
        single = 0;
    }
    CROWDSIFT_ALWAYS_INLINE void multiply(const double* p)
    {
        for (int j = 0; j < kChunks; ++j) {
            Chunk factor;
            loadVector(factor, p + j * W);
            chunk[j] *= factor;
        }
        if constexpr (kPair) {
            Double2 factor;
            loadVector(factor, p + kPairAt);
            pair *= factor;
        }
        if constexpr (kSingle)
            single *= p[KC - 1];
    }
    CROWDSIFT_ALWAYS_INLINE void scale(double x)
    {
        for (int j = 0; j < kChunks; ++j)
            chunk[j] *= x;
        pair *= x;
        single *= x;
    }
    CROWDSIFT_ALWAYS_INLINE void add(const Lanes& o)
    {
        for (int j = 0; j < kChunks; ++j)
            chunk[j] += o.chunk[j];
        pair += o.pair;
        single += o.single;
    }
    // p[0, K) += this.
    CROWDSIFT_ALWAYS_INLINE void addTo(double* p) const
    {
        for (int j = 0; j < kChunks; ++j) {
            Chunk sum;
            loadVector(sum, p + j * W);
            sum += chunk[j];
            storeVector(p + j * W, sum);
        }
        if constexpr (kPair) {
            Double2 sum;
            loadVector(sum, p + kPairAt);
            sum += pair;
            storeVector(p + kPairAt, sum);
        }
        if constexpr (kSingle)
            p[KC - 1] += single;
    }
    CROWDSIFT_ALWAYS_INLINE double max() const
    {
        double m = -std::numeric_limits<double>::infinity();
        for (int j = 0; j < kChunks; ++j)
            for (int l = 0; l < W; ++l)
                m = std::max(m, chunk[j][l]);
        if constexpr (kPair)
            m = std::max(m, std::max(pair[0], pair[1]));
        if constexpr (kSingle)
            m = std::max(m, single);
        return m;
    }
    CROWDSIFT_ALWAYS_INLINE double sum() const
    {
        Double2 part{};
        for (int j = 0; j < kChunks; ++j) {
            if constexpr (W == 4) {
                part += Double2{chunk[j][0], chunk[j][1]};
                part += Double2{chunk[j][2], chunk[j][3]};
            } else {
                part += chunk[j];
            }
        }
        if constexpr (kPair)
            part += pair;
        double total = part[0] + part[1];
        if constexpr (kSingle)
            total += single;
        return total;
    }
};

// The same for K known only at run time (plain loops over a heap vector).
template <int W>
struct Lanes<0, W> {
    std::vector<double> v;

    explicit Lanes(int k) : v(static_cast<std::size_t>(k)) {}

    int size() const { return static_cast<int>(v.size()); }
    void load(const double* p) { std::copy(p, p + size(), v.begin()); }
    void store(double* p) const { std::copy(v.begin(), v.end(), p); }
    void zero() { std::fill(v.begin(), v.end(), 0.0); }
    void multiply(const double* p)
    {
        for (int c = 0; c < size(); ++c)
            v[static_cast<std::size_t>(c)] *= p[c];
    }
    void scale(double x)
    {
        for (double& x0 : v)
            x0 *= x;
    }
    void add(const Lanes& o)
    {
        for (std::size_t c = 0; c < v.size(); ++c)
            v[c] += o.v[c];
    }
    void addTo(double* p) const
    {
        for (int c = 0; c < size(); ++c)
            p[c] += v[static_cast<std::size_t>(c)];
    }
    double max() const { return *std::max_element(v.begin(), v.end()); }
    double sum() const
    {
        double even = 0;
        double odd = 0;
        const int k = size();
        int c = 0;
        for (; c + 2 <= k; c += 2) {
            even += v[static_cast<std::size_t>(c)];
            odd += v[static_cast<std::size_t>(c) + 1];
        }
        double total = even + odd;
        if (c < k)
            total += v[static_cast<std::size_t>(c)];
        return total;
    }
};

// Sufficient statistics gathered by one item block in one pass.
struct BlockStats {
    std::vector<double> counts;  // Full model with tables: M x K(given) x K(true) posterior mass,
                                 // all 0 again once the M-step has read them
    std::vector<double> skill;   // One-coin: per annotator, the sum of posteriors of its labels
    std::vector<double> prior;   // K: sum of posteriors
    double logLikelihood = 0;
};

// Parameters and posteriors of a Dawid-Skene run. conf is stored [annotator][given][true] so that
// the E-step multiplies one contiguous K-vector per answer. Each iteration is one pass over the
// answers item by item: E-step for an item, then its posterior is added to the statistics of the
// next M-step (per-block tables, reduced in block order). When those tables would take more
// memory than the answers themselves, the full model's M-step instead reads the posteriors
// annotator by annotator.
class ConfusionEm {
public:
    ConfusionEm(const Dataset& dataset, Model model, double priorStrength, ThreadPool& pool)
        : answers_(dataset.answers), model_(model), priorStrength_(priorStrength), pool_(pool), n_(dataset.itemCount()),
          m_(dataset.annotatorCount()), k_(dataset.classCount()),
          items_(n_, std::max(kMinItemBlock, (n_ + kMaxItemBlocks - 1) / kMaxItemBlocks)),
          annotators_(m_, kAnnotatorBlock)
    {
        answered_ = answeredItems(dataset);
        answeredCount_ = std::count(answered_.begin(), answered_.end(), 1);
        observed_.assign(static_cast<std::size_t>(m_) * k_, 0);
        answerCounts_.assign(static_cast<std::size_t>(m_), 0);
        for (int w = 0; w < m_; ++w)
            for (const Answers::Entry& e : answers_.ofAnnotator(w))
                if (!e.complementary()) {
                    observed_[static_cast<std::size_t>(w) * k_ + e.label] = 1;
                    ++answerCounts_[static_cast<std::size_t>(w)];
                }
        conf_.assign(static_cast<std::size_t>(m_) * k_ * k_, 0.0);
        skill_ = Eigen::VectorXd::Zero(m_);
        const Eigen::VectorXd uniform = Eigen::VectorXd::Constant(k_, 1.0 / k_);
        post_ = voteFractions(dataset);
        priors_ = uniform;
        clippedPriors_ = uniform;

        const double tableBytes = static_cast<double>(items_.blocks()) * m_ * k_ * k_ * sizeof(double);
        tables_ = model_ != Model::OneCoin && tableBytes <= static_cast<double>(answers_.size()) * 2 * sizeof(Answers::Entry);
        stats_.resize(static_cast<std::size_t>(items_.blocks()));
        for (BlockStats& s : stats_) {
            s.prior.assign(static_cast<std::size_t>(k_), 0.0);
            if (tables_)
                s.counts.assign(static_cast<std::size_t>(m_) * k_ * k_, 0.0);
            if (model_ == Model::OneCoin)
                s.skill.assign(static_cast<std::size_t>(m_), 0.0);
        }
        switch (k_) {
        case 2: pass_ = &ConfusionEm::passBlock<2>; break;
        case 3: pass_ = &ConfusionEm::passBlock<3>; break;
        case 4: pass_ = &ConfusionEm::passBlock<4>; break;
        case 5: pass_ = &ConfusionEm::passBlock<5>; break;
        case 6: pass_ = &ConfusionEm::passBlock<6>; break;
        case 8: pass_ = &ConfusionEm::passBlock<8>; break;
        case 10: pass_ = &ConfusionEm::passBlock<10>; break;
        default: pass_ = &ConfusionEm::passBlock<0>; break;
        }
#if CROWDSIFT_DISPATCH_AVX2
        if (__builtin_cpu_supports("avx2")) {
            switch (k_) {
            case 2: pass_ = &ConfusionEm::passBlockAvx2<2>; break;
            case 3: pass_ = &ConfusionEm::passBlockAvx2<3>; break;
            case 4: pass_ = &ConfusionEm::passBlockAvx2<4>; break;
            case 5: pass_ = &ConfusionEm::passBlockAvx2<5>; break;
            case 6: pass_ = &ConfusionEm::passBlockAvx2<6>; break;
            case 8: pass_ = &ConfusionEm::passBlockAvx2<8>; break;
            case 10: pass_ = &ConfusionEm::passBlockAvx2<10>; break;
            default: break;
            }
        }
#endif
    }

    // The crowd-kit sequence: priors and M-step from the current posteriors, then iterations of
    // E-step, priors, M-step.
    void run(int maxIterations, double tolerance, std::int64_t answerCount, Progress& progress,
             const std::string& stage)
    {
        pass(false);
        converged_ = maxIterations == 0 || tolerance < 0;
        for (int t = 1; t <= maxIterations; ++t) {
            progress.step(t - 1, maxIterations, stage);
            const double ll = pass(true);
            logLikelihood_.push_back(ll);
            iterations_ = t;
            if (t >= 2 && tolerance >= 0
                && ll - logLikelihood_[logLikelihood_.size() - 2] < tolerance * static_cast<double>(answerCount)) {
                converged_ = true;
                break;
            }
        }
        progress.step(maxIterations, maxIterations, stage);
    }

    void fill(AggregationResult& r)
    {
        r.posteriors = std::move(post_);
        for (int i = 0; i < n_; ++i)
            if (!answered_[static_cast<std::size_t>(i)])
                r.posteriors.row(i) = priors_.transpose();
        HardLabels hard = hardLabels(r.posteriors, answered_);
        r.labels = std::move(hard.labels);
        r.tiedItems = std::move(hard.tied);
        r.classPriors = priors_;
        r.confusions.resize(static_cast<std::size_t>(m_));
        for (int w = 0; w < m_; ++w) {
            Eigen::MatrixXd c(k_, k_);
            for (int o = 0; o < k_; ++o)
                for (int t = 0; t < k_; ++t)
                    c(t, o) = conf_[(static_cast<std::size_t>(w) * k_ + o) * k_ + t];
            r.confusions[static_cast<std::size_t>(w)] = std::move(c);
        }
        if (model_ == Model::OneCoin) {
            r.annotatorSkill = skill_;
        } else {
            r.annotatorSkill.resize(m_);
            for (int w = 0; w < m_; ++w) {
                if (answerCounts_[static_cast<std::size_t>(w)] == 0) {
                    r.annotatorSkill[w] = std::numeric_limits<double>::quiet_NaN();
                    continue;
                }
                double s = 0;
                for (int t = 0; t < k_; ++t)
                    s += priors_[t] * conf_[(static_cast<std::size_t>(w) * k_ + t) * k_ + t];
                r.annotatorSkill[w] = s;
            }
        }
        r.iterations = iterations_;
        r.converged = converged_;
        r.logLikelihood = logLikelihood_;
    }

private:
    double oneCoinEntry(double skill, bool diagonal) const
    {
        const double v = diagonal ? skill : (1.0 - skill) / (k_ - 1);
        return std::clamp(v, kClip, 1.0 - kClip);
    }

    // One pass: with `estimate`, an E-step (posteriors from priors and confusions) first; then
    // priors and M-step from the posteriors. Returns the marginal log-likelihood of the E-step.
    double pass(bool estimate)
    {
        for (int c = 0; c < k_; ++c)
            clippedPriors_[c] = std::max(priors_[c], kClip);
        pool_.run(items_.blocks(), [&](std::int64_t b) { (this->*pass_)(b, estimate); });
        double ll = 0;
        Eigen::VectorXd total = Eigen::VectorXd::Zero(k_);
        for (const BlockStats& s : stats_) {
            ll += s.logLikelihood;
            for (int c = 0; c < k_; ++c)
                total[c] += s.prior[static_cast<std::size_t>(c)];
        }
        priors_ = answeredCount_ > 0 ? Eigen::VectorXd(total / static_cast<double>(answeredCount_))
                                     : Eigen::VectorXd::Constant(k_, 1.0 / k_);
        if (priorStrength_ > 0 && model_ != Model::OneCoin)
            poolConfusion();
        pool_.run(annotators_.blocks(), [&](std::int64_t b) {
            std::vector<double> counts(static_cast<std::size_t>(k_) * k_);
            for (std::int64_t w = annotators_.begin(b); w < annotators_.end(b); ++w) {
                if (model_ == Model::OneCoin)
                    oneCoinMStep(static_cast<int>(w));
                else
                    fullMStep(static_cast<int>(w), counts);
            }
        });
        return ll;
    }

    // One item block of a pass, for K known at compile time (KC) with the running posterior in
    // SIMD registers of W doubles (see Lanes).
    template <int KC, int W>
    CROWDSIFT_ALWAYS_INLINE void passKernel(std::int64_t b, bool estimate)
    {
        const int k = KC > 0 ? KC : k_;
        using L = Lanes<KC, W>;
        BlockStats& s = stats_[static_cast<std::size_t>(b)];
        std::fill(s.skill.begin(), s.skill.end(), 0.0);
        L prior(k);
        prior.load(clippedPriors_.data());
        L priorSum(k);
        priorSum.zero();
        L acc(k);
        const double* conf = conf_.data();
        double* counts = s.counts.data();
        double* post = post_.data();
        // The log-likelihood is the sum over items of log(sum of the unnormalised posterior) plus
        // the logs of rescaling; the sums are multiplied into likelihood * 2^exponent, so that a
        // block takes one log instead of one per item.
        double logScale = 0;
        double likelihood = 1;
        long exponent = 0;
        const std::int64_t last = items_.end(b);
        const std::int64_t* offsets = answers_.itemOffsets().data();
        const Answers::Entry* byItem = answers_.byItem().data();
        for (std::int64_t i = items_.begin(b); i < last; ++i) {
            if (i + kPrefetchItems < last) {
                for (std::int64_t j = offsets[i + kPrefetchItems]; j < offsets[i + kPrefetchItems + 1]; ++j) {
                    const std::size_t at = (static_cast<std::size_t>(byItem[j].other) * k + byItem[j].label) * k;
                    if (estimate)
                        prefetchRow(conf + at, k);
                    if (tables_)
                        prefetchRow(counts + at, k);
                }
            }
            if (!answered_[static_cast<std::size_t>(i)])
                continue;
            const Answers::Entry* first = byItem + offsets[i];
            const Answers::Entry* end = byItem + offsets[i + 1];
            double* row = post + static_cast<std::size_t>(i) * k;
            if (estimate) {
                acc = prior;
                int sinceCheck = 0;
                for (const Answers::Entry* e = first; e != end; ++e) {
                    if (e->complementary())
                        continue;
                    acc.multiply(conf + (static_cast<std::size_t>(e->other) * k + e->label) * k);
                    if (++sinceCheck == kRescaleEvery) {
                        sinceCheck = 0;
                        const double top = acc.max();
                        if (top < kRescaleBelow && top > 0) {
                            acc.scale(1.0 / top);
                            logScale += std::log(top);
                        }
                    }
                }
                const double sum = acc.sum();
                acc.scale(1.0 / sum);
                acc.store(row);
                likelihood *= sum;
                if (likelihood < 1.0 / kLikelihoodRange || likelihood > kLikelihoodRange) {
                    int e = 0;
                    likelihood = std::frexp(likelihood, &e);
                    exponent += e;
                }
            } else {
                acc.load(row);
            }
            priorSum.add(acc);
            if (tables_) {
                for (const Answers::Entry* e = first; e != end; ++e)
                    if (!e->complementary())
                        acc.addTo(counts + (static_cast<std::size_t>(e->other) * k + e->label) * k);
            } else if (model_ == Model::OneCoin) {
                for (const Answers::Entry* e = first; e != end; ++e)
                    if (!e->complementary())
                        s.skill[static_cast<std::size_t>(e->other)] += row[e->label];
            }
        }
        priorSum.store(s.prior.data());
        s.logLikelihood = std::log(likelihood) + static_cast<double>(exponent) * std::log(2.0) + logScale;
    }

    template <int KC>
    void passBlock(std::int64_t b, bool estimate)
    {
        passKernel<KC, 2>(b, estimate);
    }

#if CROWDSIFT_DISPATCH_AVX2
    template <int KC>
    __attribute__((target("avx2"))) void passBlockAvx2(std::int64_t b, bool estimate)
    {
        passKernel<KC, 4>(b, estimate);
    }
#endif

    // The pooled confusion, P(given o | true t) over all annotators' answers (pooled_, stored
    // [given][true]), that the Dirichlet prior pulls each annotator's matrix towards; summed in
    // answer order, so the same for any thread count.
    void poolConfusion()
    {
        pooled_.assign(static_cast<std::size_t>(k_) * k_, 0.0);
        for (int i = 0; i < n_; ++i)
            for (const Answers::Entry& e : answers_.ofItem(i))
                if (!e.complementary())
                    addRow(&pooled_[static_cast<std::size_t>(e.label) * k_], post_.row(i).data(), k_);
        for (int t = 0; t < k_; ++t) {
            double total = 0;
            for (int o = 0; o < k_; ++o)
                total += pooled_[static_cast<std::size_t>(o) * k_ + t];
            for (int o = 0; o < k_; ++o) {
                double& v = pooled_[static_cast<std::size_t>(o) * k_ + t];
                v = total > 0 ? v / total : 1.0 / k_;
            }
        }
    }

    // Confusions of annotator w from the posterior mass of its answers: from the block tables, or
    // read from the posteriors when there are no tables. With a prior strength S > 0 (MAP EM
    // under a Dirichlet prior whose pseudo-counts are S x the pooled confusion row):
    // conf(o | t) = (n(t, o) + S pooled(o | t)) / (n(t) + S). The class-conditional model keeps
    // only the diagonal: s_t = conf(t | t), errors uniform over the other K - 1 classes.
    void fullMStep(int w, std::vector<double>& counts)
    {
        std::fill(counts.begin(), counts.end(), 0.0);
        if (tables_) {
            const std::size_t offset = static_cast<std::size_t>(w) * k_ * k_;
            // The tables are cleared here, while their rows are in cache, for the next pass.
            Eigen::Map<Eigen::VectorXd> sum(counts.data(), static_cast<Eigen::Index>(counts.size()));
            for (BlockStats& s : stats_) {
                Eigen::Map<Eigen::VectorXd> part(&s.counts[offset], sum.size());
                sum += part;
                part.setZero();
            }
        } else {
            for (const Answers::Entry& e : answers_.ofAnnotator(w)) {
                if (e.complementary())
                    continue;
                addRow(&counts[static_cast<std::size_t>(e.label) * k_], post_.row(e.other).data(), k_);
            }
        }
        double* out = &conf_[static_cast<std::size_t>(w) * k_ * k_];
        if (priorStrength_ > 0 || model_ == Model::ClassConditional) {
            for (int o = 0; o < k_; ++o)
                for (int c = 0; c < k_; ++c)
                    counts[static_cast<std::size_t>(o) * k_ + c] +=
                        priorStrength_ > 0 ? priorStrength_ * pooled_[static_cast<std::size_t>(o) * k_ + c] : 0.0;
            for (int c = 0; c < k_; ++c) {
                double norm = 0;
                for (int o = 0; o < k_; ++o)
                    norm += counts[static_cast<std::size_t>(o) * k_ + c];
                if (model_ == Model::ClassConditional) {
                    const double right = norm > 0 ? counts[static_cast<std::size_t>(c) * k_ + c] / norm : 1.0 / k_;
                    for (int o = 0; o < k_; ++o)
                        out[o * k_ + c] = std::clamp(o == c ? right : (1.0 - right) / (k_ - 1), kClip, 1.0 - kClip);
                } else {
                    for (int o = 0; o < k_; ++o)
                        out[o * k_ + c] = norm > 0 ? std::max(counts[static_cast<std::size_t>(o) * k_ + c] / norm, kClip)
                                                   : 1.0 / k_;
                }
            }
            return;
        }
        const char* seen = &observed_[static_cast<std::size_t>(w) * k_];
        std::vector<double> norm(static_cast<std::size_t>(k_), 0.0);
        for (int o = 0; o < k_; ++o) {
            if (!seen[o])
                continue;
            double* row = &counts[static_cast<std::size_t>(o) * k_];
            for (int c = 0; c < k_; ++c) {
                row[c] = std::max(row[c], kClip);
                norm[static_cast<std::size_t>(c)] += row[c];
            }
        }
        for (int o = 0; o < k_; ++o)
            for (int c = 0; c < k_; ++c)
                out[o * k_ + c] = seen[o] ? counts[static_cast<std::size_t>(o) * k_ + c] / norm[static_cast<std::size_t>(c)] : 0.0;
    }

    void oneCoinMStep(int w)
    {
        double sum = 0;
        for (const BlockStats& s : stats_)
            sum += s.skill[static_cast<std::size_t>(w)];
        const std::int64_t count = answerCounts_[static_cast<std::size_t>(w)];
        // An annotator without answers keeps an uninformative matrix (never used by the E-step).
        const double skill = count > 0 ? sum / static_cast<double>(count) : 1.0 / k_;
        skill_[w] = count > 0 ? skill : std::numeric_limits<double>::quiet_NaN();
        // The one-coin model defines every entry, also for labels w never gave.
        double* out = &conf_[static_cast<std::size_t>(w) * k_ * k_];
        for (int o = 0; o < k_; ++o)
            for (int c = 0; c < k_; ++c)
                out[o * k_ + c] = oneCoinEntry(skill, o == c);
    }

    const Answers& answers_;
    Model model_;
    double priorStrength_ = 0;
    std::vector<double> pooled_;  // K(given) x K(true), the pooled confusion (prior strength > 0)
    ThreadPool& pool_;
    int n_;
    int m_;
    int k_;
    BlockPartition items_;
    BlockPartition annotators_;
    std::vector<char> answered_;
    std::int64_t answeredCount_ = 0;
    std::vector<char> observed_;             // M x K: annotator w gave label l at least once
    std::vector<std::int64_t> answerCounts_;  // M: usable answers per annotator
    std::vector<double> conf_;               // M x K(given) x K(true)
    Eigen::VectorXd skill_;                  // one-coin skills
    RowMatrixXd post_;                       // N x K
    Eigen::VectorXd priors_;                 // K, mean posterior
    Eigen::VectorXd clippedPriors_;          // K, priors clipped to >= 1e-10 for the E-step
    bool tables_ = false;
    std::vector<BlockStats> stats_;
    void (ConfusionEm::*pass_)(std::int64_t, bool) = nullptr;
    std::vector<double> logLikelihood_;
    int iterations_ = 0;
    bool converged_ = false;
};

AggregationResult runConfusionEm(const Dataset& dataset, const AggregationParams& params, Progress& progress,
                                 Model model, const char* name, const char* stage)
{
    checkAggregationInput(dataset, name, model == Model::Full ? 1 : 2);
    ThreadPool pool(params.threads);
    ConfusionEm em(dataset, model, model == Model::OneCoin ? 0.0 : params.priorStrength, pool);
    em.run(params.maxIterations, params.tolerance, usableAnswerCount(dataset), progress, stage);
    AggregationResult r;
    r.strategy = name;
    r.params = params.toJson();
    em.fill(r);
    r.extra["skipped_complementary_answers"] =
        static_cast<std::int64_t>(dataset.answers.size()) - usableAnswerCount(dataset);
    return r;
}

}  // namespace

AggregationResult dawidSkene(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    return runConfusionEm(dataset, params, progress, Model::Full, "ds", "Dawid-Skene EM");
}

AggregationResult dawidSkenePrior(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    return runConfusionEm(dataset, params, progress, Model::Full, "ds-prior", "Dawid-Skene MAP EM");
}

AggregationResult classConditionalDawidSkene(const Dataset& dataset, const AggregationParams& params,
                                             Progress& progress)
{
    return runConfusionEm(dataset, params, progress, Model::ClassConditional, "cc-ds",
                          "class-conditional Dawid-Skene EM");
}

AggregationResult oneCoinDawidSkene(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    return runConfusionEm(dataset, params, progress, Model::OneCoin, "one-coin-ds", "one-coin Dawid-Skene EM");
}

static void wdsPosteriorsInto(const Dataset& dataset, const std::vector<Eigen::MatrixXd>& confusions,
                              RowMatrixXd& posteriors)
{
    const int k = dataset.classCount();
    posteriors.resize(dataset.itemCount(), k);
    std::vector<double> weights(static_cast<std::size_t>(k));
    std::vector<double> votes(static_cast<std::size_t>(k));
    for (int i = 0; i < dataset.itemCount(); ++i) {
        std::fill(weights.begin(), weights.end(), 0.0);
        std::fill(votes.begin(), votes.end(), 0.0);
        for (const Answers::Entry& e : dataset.answers.ofItem(i)) {
            if (e.complementary())
                continue;
            weights[static_cast<std::size_t>(e.label)] += confusions[static_cast<std::size_t>(e.other)](e.label, e.label);
            votes[static_cast<std::size_t>(e.label)] += 1;
        }
        double weightSum = 0;
        double voteSum = 0;
        for (int c = 0; c < k; ++c) {
            weightSum += weights[static_cast<std::size_t>(c)];
            voteSum += votes[static_cast<std::size_t>(c)];
        }
        for (int c = 0; c < k; ++c)
            posteriors(i, c) = weightSum > 0 ? weights[static_cast<std::size_t>(c)] / weightSum
                               : voteSum > 0 ? votes[static_cast<std::size_t>(c)] / voteSum
                                             : 1.0 / k;
    }
}

RowMatrixXd wdsPosteriors(const Dataset& dataset, const std::vector<Eigen::MatrixXd>& confusions)
{
    RowMatrixXd posteriors;
    wdsPosteriorsInto(dataset, confusions, posteriors);
    return posteriors;
}

AggregationResult weightedDawidSkene(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    AggregationResult r = runConfusionEm(dataset, params, progress, Model::Full, "wds", "Dawid-Skene EM (WDS)");
    const std::vector<char> answered = answeredItems(dataset);
    wdsPosteriorsInto(dataset, r.confusions, r.posteriors);
    HardLabels hard = hardLabels(r.posteriors, answered, params.randomTies, params.seed);
    r.labels = std::move(hard.labels);
    r.tiedItems = std::move(hard.tied);
    r.extra["class_priors_of_ds"] = std::vector<double>(r.classPriors.data(), r.classPriors.data() + r.classPriors.size());
    r.classPriors = meanPosterior(r.posteriors, answered);
    for (int i = 0; i < dataset.itemCount(); ++i)
        if (!answered[static_cast<std::size_t>(i)])
            r.posteriors.row(i) = r.classPriors.transpose();
    return r;
}

}  // namespace crowdsift
