#include "util/error.h"

namespace crowdsift {

static std::string formatInputError(const std::string& file, const std::string& record,
                                    const std::string& problem)
{
    std::string message = file;
    if (!record.empty())
        message += ": " + record;
    message += ": " + problem;
    return message;
}

InputError::InputError(const std::string& file, const std::string& record, const std::string& problem)
    : std::runtime_error(formatInputError(file, record, problem))
{
}

}  // namespace crowdsift
