// Start-up cost of the command line: wall time and peak memory of `crowdsift-cli --version`,
// `info` on a project and `aggregate -s ds` on Dog (answers CSV), each against a trivial C++
// program (this benchmark itself run with --trivial: it returns at once) measured in the same run,
// and the same verbs through crowdsift-cli-full (every library loaded) for comparison.
//
// Then the GUI (build/app/crowdsift beside the CLI, unless --no-gui): from exec to the first
// window exposed (`crowdsift --startup-probe`, which quits then), with the Dog project loaded
// too, and with the Learning tab shown first (which opens crowdsift_gui_learn.so, LibTorch and
// OpenCV), against bench_gui_linked_all (the same main.cpp linked with everything, as before the
// split). QT_QPA_PLATFORM is offscreen unless set (e.g. xcb with DISPLAY for an X server).
//
//   bench_startup [--cli build/app/crowdsift-cli] [--shared ../shared] [--repeats 15] [--no-gui]
//
// Each command runs `repeats` times (fork, exec, wait4); the table gives the median wall time and
// the median peak resident memory (ru_maxrss), and both minus the trivial program's. Targets
// (issue 17): under 50 ms and under 20 MB above the trivial program for the light executable.

#include "bench_common.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Sample {
    double seconds = 0;
    double peakMb = 0;
};

// Runs `argv` once with stdout and stderr to /dev/null; exits the benchmark when it fails.
Sample runOnce(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::fflush(stdout);  // else the child would print the parent's buffered lines again
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        ::execv(args[0], args.data());
        std::_Exit(127);
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_startup: %s failed (status %d)\n", argv[0].c_str(), status);
        std::exit(1);
    }
    return {seconds, static_cast<double>(usage.ru_maxrss) / 1024.0};
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

Sample measure(const std::vector<std::string>& argv, int repeats)
{
    runOnce(argv);  // warm the page cache
    std::vector<double> seconds, peak;
    for (int r = 0; r < repeats; ++r) {
        const Sample s = runOnce(argv);
        seconds.push_back(s.seconds);
        peak.push_back(s.peakMb);
    }
    return {median(seconds), median(peak)};
}

}  // namespace

int main(int argc, char** argv)
{
    std::string cli = "build/app/crowdsift-cli";
    std::string shared = std::getenv("CROWDSIFT_SHARED") ? std::getenv("CROWDSIFT_SHARED") : "../shared";
    int repeats = 15;
    bool gui = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--trivial")
            return 0;
        if (a == "--cli" && i + 1 < argc)
            cli = argv[++i];
        else if (a == "--shared" && i + 1 < argc)
            shared = argv[++i];
        else if (a == "--repeats" && i + 1 < argc)
            repeats = std::max(1, std::atoi(argv[++i]));
        else if (a == "--no-gui")
            gui = false;
        else {
            std::fprintf(stderr, "usage: bench_startup [--cli PATH] [--shared DIR] [--repeats N] [--no-gui]\n");
            return 2;
        }
    }
    cli = fs::absolute(cli).string();
    const std::string full = (fs::path(cli).parent_path() / "crowdsift-cli-full").string();
    const std::string dog = shared + "/datasets/dog-zhou/datasets/s4_Dog data/answer.csv";
    if (!fs::exists(cli) || !fs::exists(full) || !fs::exists(dog)) {
        std::fprintf(stderr, "bench_startup: needs %s, %s and %s\n", cli.c_str(), full.c_str(), dog.c_str());
        return 1;
    }
    // A project to run `info` on.
    const fs::path work = fs::temp_directory_path() / ("bench_startup-" + std::to_string(::getpid()));
    fs::create_directories(work);
    const std::string project = (work / "dog.csift").string();
    runOnce({cli, "--quiet", "import", dog, "-o", project});

    const std::string self = fs::canonical("/proc/self/exe").string();
    const Sample trivial = measure({self, "--trivial"}, repeats);
    std::printf("trivial C++ program: %.1f ms, %.1f MB peak (median of %d)\n\n", 1000 * trivial.seconds,
                trivial.peakMb, repeats);
    std::printf("| command | crowdsift-cli | above trivial | crowdsift-cli-full (every library) |\n");
    std::printf("|---|---:|---:|---:|\n");
    const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
        {"`--version`", {"--version"}},
        {"`info dog.csift`", {"info", project}},
        {"`aggregate answer.csv -s ds --no-store` (Dog)", {"--quiet", "aggregate", dog, "-s", "ds", "--no-store"}},
    };
    for (const auto& [name, args] : commands) {
        std::vector<std::string> light{cli}, heavy{full};
        light.insert(light.end(), args.begin(), args.end());
        heavy.insert(heavy.end(), args.begin(), args.end());
        const Sample l = measure(light, repeats);
        const Sample h = measure(heavy, repeats);
        std::printf("| %s | %.1f ms, %.1f MB | %+.1f ms, %+.1f MB | %.0f ms, %.1f MB |\n", name.c_str(),
                    1000 * l.seconds, l.peakMb, 1000 * (l.seconds - trivial.seconds), l.peakMb - trivial.peakMb,
                    1000 * h.seconds, h.peakMb);
    }
    if (gui) {
        const std::string window = (fs::path(cli).parent_path() / "crowdsift").string();
        const std::string linkedAll = (fs::path(self).parent_path() / "bench_gui_linked_all").string();
        if (!fs::exists(window) || !fs::exists(linkedAll)) {
            std::fprintf(stderr, "bench_startup: needs %s and %s (or --no-gui)\n", window.c_str(), linkedAll.c_str());
            fs::remove_all(work);
            return 1;
        }
        ::setenv("QT_QPA_PLATFORM", "offscreen", 0);
        std::printf("\nGUI, QT_QPA_PLATFORM=%s: exec until the window is exposed (--startup-probe)\n\n",
                    std::getenv("QT_QPA_PLATFORM"));
        std::printf("| GUI start | crowdsift | above trivial | linked with everything (before) |\n");
        std::printf("|---|---:|---:|---:|\n");
        const std::vector<std::pair<std::string, std::vector<std::string>>> starts = {
            {"window shown, no project", {"--startup-probe"}},
            {"window shown, `dog.csift` loaded", {"--startup-probe", project}},
            {"Learning tab shown first (opens the module)", {"--startup-probe", "--tab", "learning"}},
        };
        for (const auto& [name, args] : starts) {
            std::vector<std::string> light{window}, heavy{linkedAll};
            light.insert(light.end(), args.begin(), args.end());
            heavy.insert(heavy.end(), args.begin(), args.end());
            const Sample l = measure(light, repeats);
            const Sample h = measure(heavy, repeats);
            std::printf("| %s | %.1f ms, %.1f MB | %+.1f ms, %+.1f MB | %.0f ms, %.1f MB |\n", name.c_str(),
                        1000 * l.seconds, l.peakMb, 1000 * (l.seconds - trivial.seconds), l.peakMb - trivial.peakMb,
                        1000 * h.seconds, h.peakMb);
        }
    }
    fs::remove_all(work);
    return 0;
}
