#include "aggregate/params.h"

#include "util/error.h"

#include <cmath>

namespace crowdsift {

namespace {

const char* const kSource = "aggregation parameters";

int readInt(const nlohmann::json& value, const std::string& key, int minimum)
{
    if (!value.is_number_integer())
        throw InputError(kSource, key, "expected an integer, got " + value.dump());
    const auto v = value.get<long long>();
    if (v < minimum || v > 1000000000)
        throw InputError(kSource, key, "must be an integer from " + std::to_string(minimum) + " to 1000000000, got "
                                           + value.dump());
    return static_cast<int>(v);
}

double readDouble(const nlohmann::json& value, const std::string& key)
{
    if (!value.is_number())
        throw InputError(kSource, key, "expected a number, got " + value.dump());
    const double v = value.get<double>();
    if (!std::isfinite(v))
        throw InputError(kSource, key, "must be a finite number");
    return v;
}

double readPositive(const nlohmann::json& value, const std::string& key)
{
    const double v = readDouble(value, key);
    if (!(v > 0))
        throw InputError(kSource, key, "must be greater than 0, got " + value.dump());
    return v;
}

bool readBool(const nlohmann::json& value, const std::string& key)
{
    if (!value.is_boolean())
        throw InputError(kSource, key, "expected true or false, got " + value.dump());
    return value.get<bool>();
}

}  // namespace

std::vector<std::string> AggregationParams::keys()
{
    return {"max_iterations", "tolerance",   "threads",    "seed",       "random_ties",
            "m_step_iterations", "m_step_tolerance", "restarts", "variational", "spam_alpha",
            "spam_beta",      "strategy_prior", "default_noise", "smoothing", "learn_priors", "prior_strength", "folds", "margin"};
}

nlohmann::json AggregationParams::toJson() const
{
    return nlohmann::json{
        {"max_iterations", maxIterations},
        {"tolerance", tolerance},
        {"threads", threads},
        {"seed", seed},
        {"random_ties", randomTies},
        {"m_step_iterations", mStepIterations},
        {"m_step_tolerance", mStepTolerance},
        {"restarts", restarts},
        {"variational", variational},
        {"spam_alpha", spamAlpha},
        {"spam_beta", spamBeta},
        {"strategy_prior", strategyPrior},
        {"default_noise", defaultNoise},
        {"smoothing", smoothing},
        {"learn_priors", learnPriors},
        {"prior_strength", priorStrength},
        {"folds", folds},
        {"margin", margin},
    };
}

AggregationParams AggregationParams::fromJson(const nlohmann::json& json)
{
    return fromJson(json, AggregationParams());
}

AggregationParams AggregationParams::fromJson(const nlohmann::json& json, const AggregationParams& base)
{
    AggregationParams p = base;
    if (json.is_null())
        return p;
    if (!json.is_object())
        throw InputError(kSource, "(top level)", "expected a JSON object of parameters, got " + json.dump());
    for (const auto& [key, value] : json.items()) {
        if (key == "max_iterations")
            p.maxIterations = readInt(value, key, 0);
        else if (key == "tolerance")
            p.tolerance = readDouble(value, key);
        else if (key == "threads")
            p.threads = readInt(value, key, 0);
        else if (key == "seed") {
            if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<long long>() >= 0))
                throw InputError(kSource, key, "expected a non-negative integer, got " + value.dump());
            p.seed = value.get<std::uint64_t>();
        } else if (key == "random_ties")
            p.randomTies = readBool(value, key);
        else if (key == "m_step_iterations")
            p.mStepIterations = readInt(value, key, 1);
        else if (key == "m_step_tolerance")
            p.mStepTolerance = readPositive(value, key);
        else if (key == "restarts")
            p.restarts = readInt(value, key, 1);
        else if (key == "variational")
            p.variational = readBool(value, key);
        else if (key == "spam_alpha")
            p.spamAlpha = readPositive(value, key);
        else if (key == "spam_beta")
            p.spamBeta = readPositive(value, key);
        else if (key == "strategy_prior")
            p.strategyPrior = readPositive(value, key);
        else if (key == "default_noise") {
            p.defaultNoise = readDouble(value, key);
            if (p.defaultNoise <= -1.0)
                throw InputError(kSource, key, "must be greater than -1, got " + value.dump());
        }
        else if (key == "smoothing")
            p.smoothing = readDouble(value, key);
        else if (key == "prior_strength") {
            p.priorStrength = readDouble(value, key);
            if (p.priorStrength < 0)
                throw InputError(kSource, key, "must be 0 or more, got " + value.dump());
        } else if (key == "folds")
            p.folds = readInt(value, key, 2);
        else if (key == "margin") {
            p.margin = readDouble(value, key);
            if (!(p.margin >= 0))
                throw InputError(kSource, key, "must be 0 or more, got " + value.dump());
        }
        else if (key == "learn_priors")
            p.learnPriors = readBool(value, key);
        else {
            std::string known;
            for (const std::string& k : keys())
                known += (known.empty() ? "" : ", ") + k;
            throw InputError(kSource, key, "unknown parameter; known parameters: " + known);
        }
    }
    return p;
}

}  // namespace crowdsift
