#include "aggregate/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace crowdsift {

namespace {

// A point on the search line x + a d: step, value, directional derivative, and the full point.
struct LinePoint {
    double step = 0;
    double value = 0;
    double slope = 0;
    Eigen::VectorXd x;
    Eigen::VectorXd gradient;
};

class LineSearch {
public:
    LineSearch(const LbfgsObjective& f, const Eigen::VectorXd& d, const LinePoint& start, const LbfgsOptions& options,
               int& evaluations)
        : f_(f), d_(d), start_(start), options_(options), evaluations_(evaluations)
    {
    }

    // Returns true with `result` set to a step satisfying the strong Wolfe conditions, or to the
    // best sufficient-decrease point found when the budget ran out; false when no step lowered f.
    bool run(double initialStep, LinePoint& result)
    {
        LinePoint previous = start_;
        previous.step = 0;
        double step = initialStep;
        for (int i = 0; i < options_.maxLineSearch; ++i) {
            LinePoint p = evaluate(step);
            if (!std::isfinite(p.value) || !armijo(p) || (i > 0 && p.value >= previous.value))
                return zoom(previous, p, result);
            if (std::abs(p.slope) <= -options_.wolfeC2 * start_.slope) {
                result = std::move(p);
                return true;
            }
            if (p.slope >= 0)
                return zoom(p, previous, result);
            previous = std::move(p);
            step *= 2;
        }
        return fallback(previous, result);
    }

private:
    LinePoint evaluate(double step)
    {
        LinePoint p;
        p.step = step;
        p.x = start_.x + step * d_;
        p.gradient.resize(p.x.size());
        p.value = f_(p.x, p.gradient);
        p.slope = p.gradient.dot(d_);
        ++evaluations_;
        ++used_;
        return p;
    }

    bool armijo(const LinePoint& p) const
    {
        return p.value <= start_.value + options_.wolfeC1 * p.step * start_.slope;
    }

    // `lo` satisfies sufficient decrease and has the lowest value seen; the minimiser lies
    // between lo and hi.
    bool zoom(LinePoint lo, LinePoint hi, LinePoint& result)
    {
        while (used_ < options_.maxLineSearch) {
            const double width = hi.step - lo.step;
            if (std::abs(width) <= 1e-16 * std::max(1.0, std::abs(lo.step)))
                break;
            // Minimiser of the quadratic through lo (value, slope) and hi (value), kept well inside
            // the interval; bisection otherwise.
            double step = lo.step + width / 2;
            const double curvature = hi.value - lo.value - lo.slope * width;
            if (std::isfinite(hi.value) && curvature > 0) {
                const double q = lo.step - lo.slope * width * width / (2 * curvature);
                const double a = std::min(lo.step, hi.step) + 0.1 * std::abs(width);
                const double b = std::max(lo.step, hi.step) - 0.1 * std::abs(width);
                if (q >= a && q <= b)
                    step = q;
            }
            LinePoint p = evaluate(step);
            if (!std::isfinite(p.value) || !armijo(p) || p.value >= lo.value) {
                hi = std::move(p);
                continue;
            }
            if (std::abs(p.slope) <= -options_.wolfeC2 * start_.slope) {
                result = std::move(p);
                return true;
            }
            if (p.slope * (hi.step - lo.step) >= 0)
                hi = std::move(lo);
            lo = std::move(p);
        }
        return fallback(lo, result);
    }

    bool fallback(LinePoint& best, LinePoint& result)
    {
        if (best.step <= 0 || !(best.value < start_.value))
            return false;
        result = std::move(best);
        return true;
    }

    const LbfgsObjective& f_;
    const Eigen::VectorXd& d_;
    const LinePoint& start_;
    const LbfgsOptions& options_;
    int& evaluations_;
    int used_ = 0;
};

}  // namespace

LbfgsResult minimizeLbfgs(const LbfgsObjective& f, Eigen::VectorXd& x, const LbfgsOptions& options,
                          const std::function<void()>& checkpoint)
{
    LbfgsResult result;
    LinePoint current;
    current.x = x;
    current.gradient.resize(x.size());
    current.value = f(current.x, current.gradient);
    result.evaluations = 1;
    result.value = current.value;
    if (x.size() == 0 || current.gradient.cwiseAbs().maxCoeff() <= options.gradientTolerance) {
        result.converged = true;
        result.stop = "gradient";
        return result;
    }

    const int memory = std::max(options.memory, 1);
    std::vector<Eigen::VectorXd> s(static_cast<std::size_t>(memory));
    std::vector<Eigen::VectorXd> y(static_cast<std::size_t>(memory));
    std::vector<double> rho(static_cast<std::size_t>(memory));
    std::vector<double> alpha(static_cast<std::size_t>(memory));
    int stored = 0;
    int newest = -1;

    Eigen::VectorXd d = -current.gradient;
    double initialStep = 1.0 / std::max(1.0, d.norm());
    result.stop = "iterations";
    for (int iteration = 1; iteration <= options.maxIterations; ++iteration) {
        if (checkpoint)
            checkpoint();
        current.slope = current.gradient.dot(d);
        if (!(current.slope < 0)) {
            // Not a descent direction (lost curvature information): restart from steepest descent.
            stored = 0;
            d = -current.gradient;
            current.slope = current.gradient.dot(d);
            initialStep = 1.0 / std::max(1.0, d.norm());
        }
        LinePoint next;
        LineSearch search(f, d, current, options, result.evaluations);
        if (!search.run(initialStep, next)) {
            result.stop = "line search";
            break;
        }
        result.iterations = iteration;
        const double decrease = current.value - next.value;
        const Eigen::VectorXd step = next.x - current.x;
        const Eigen::VectorXd change = next.gradient - current.gradient;
        current = std::move(next);
        x = current.x;
        result.value = current.value;

        if (current.gradient.cwiseAbs().maxCoeff() <= options.gradientTolerance) {
            result.converged = true;
            result.stop = "gradient";
            break;
        }
        if (decrease <= options.relativeTolerance * std::max(1.0, std::abs(current.value))) {
            result.converged = true;
            result.stop = "value";
            break;
        }

        const double sy = step.dot(change);
        if (sy > 1e-12 * change.squaredNorm()) {
            newest = (newest + 1) % memory;
            s[static_cast<std::size_t>(newest)] = step;
            y[static_cast<std::size_t>(newest)] = change;
            rho[static_cast<std::size_t>(newest)] = 1.0 / sy;
            stored = std::min(stored + 1, memory);
        }
        // Two-loop recursion: d = -H g with H0 = (s'y / y'y) I from the newest pair.
        d = -current.gradient;
        for (int j = 0; j < stored; ++j) {
            const auto idx = static_cast<std::size_t>((newest - j + memory) % memory);
            alpha[idx] = rho[idx] * s[idx].dot(d);
            d -= alpha[idx] * y[idx];
        }
        if (stored > 0) {
            const auto idx = static_cast<std::size_t>(newest);
            d *= 1.0 / (rho[idx] * y[idx].squaredNorm());
        }
        for (int j = stored - 1; j >= 0; --j) {
            const auto idx = static_cast<std::size_t>((newest - j + memory) % memory);
            const double beta = rho[idx] * y[idx].dot(d);
            d += (alpha[idx] - beta) * s[idx];
        }
        initialStep = stored > 0 ? 1.0 : 1.0 / std::max(1.0, d.norm());
    }
    return result;
}

}  // namespace crowdsift
