// fuzz_seed_project <file>: writes projectSeed(), a small real project, for the project
// target's corpus (scripts/fuzz runs it, since the bytes depend on the schema of this build).

#include "targets.h"

#include <cstdio>
#include <exception>
#include <fstream>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seed_project <file>\n");
        return 2;
    }
    try {
        const std::string bytes = crowdsift::fuzz::projectSeed();
        std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out)
            throw std::runtime_error(std::string("cannot write ") + argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_seed_project: %s\n", e.what());
        return 1;
    }
    return 0;
}
