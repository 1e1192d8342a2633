#pragma once

// Limited-memory BFGS with a line search satisfying the strong Wolfe conditions (Nocedal & Wright,
// Numerical Optimization, 2nd ed., algorithms 7.4, 3.5 and 3.6). Used for GLAD's M-step; none of
// Debian's optimisation libraries is a dependency of the project (liblbfgspp-dev would fit).

#include <Eigen/Core>

#include <functional>
#include <string>

namespace crowdsift {

struct LbfgsOptions {
    int maxIterations = 100;
    int memory = 10;                  // correction pairs kept
    double gradientTolerance = 1e-5;  // stop when max |gradient component| <= this
    // Stop when an iteration lowers f by less than this times max(|f|, 1).
    double relativeTolerance = 1e-12;
    int maxLineSearch = 30;           // function evaluations per line search
    double wolfeC1 = 1e-4;            // sufficient decrease
    double wolfeC2 = 0.9;             // curvature
};

struct LbfgsResult {
    double value = 0;     // f at the returned point
    int iterations = 0;
    int evaluations = 0;
    bool converged = false;  // a tolerance was met (false: iteration cap or line search failure)
    std::string stop;        // why it stopped, for logs and tests
};

// f(x, gradient) returns f at x and writes its gradient (same size as x).
using LbfgsObjective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& gradient)>;

// Minimises f from x (updated in place). The returned point is never worse than the start: every
// accepted step satisfies the sufficient-decrease condition, and a failed line search stops at the
// last accepted point. `checkpoint`, when set, runs once per iteration (e.g. Progress::check()).
LbfgsResult minimizeLbfgs(const LbfgsObjective& f, Eigen::VectorXd& x, const LbfgsOptions& options = {},
                          const std::function<void()>& checkpoint = {});

}  // namespace crowdsift
