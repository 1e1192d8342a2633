// The review grid at scale, end to end through the GUI (offscreen): open, first page, scroll.
//
//   bench_grid [SHARED_DIR] [--items N] [--max-pages P] [--keep]
//
// SHARED_DIR defaults to $CROWDSIFT_SHARED, else ../shared. Setup (timed, not part of the
// targets): a dataset of N items (200,000 by default) whose item i shows LabelMe JPEG i mod 1000
// (256 x 256, SHARED_DIR/datasets/labelme/datasets/labelme/train), 100 simulated annotators, 10
// classes, 5 answers per item from distinct annotators (each right with its own accuracy in
// [0.55, 0.95], else uniform over the other classes; std::mt19937_64 raw output, seed 20261122);
// a project of it in a fresh temporary folder and a stored Dawid-Skene run.
//
// Then, in a 1400 x 900 MainWindow:
//   open -> first page   MainWindow::openPath until the Review tab has painted the first page of
//                        its largest band with every visible thumbnail decoded
//   uncached pages       the Review page shows all N items (showItems); the other two bands are
//                        hidden so that one band fills the centre; the band is scrolled one
//                        viewport at a time from top to bottom (up to P pages, 0 = all): set the
//                        scroll bar, process events until every visible thumbnail is decoded,
//                        repaint. Includes the page's 30 ms request debounce.
//   cached pages         the last pages of that pass again, bottom to top, as long as their
//                        thumbnails are still in the loader's cache (256 MiB): set, repaint.
// Per page: median and maximum. Memory: peak resident set (VmHWM).
// Targets (issue 4): first page under 1 s, every cached page under 50 ms, memory under 1 GB.

#include "mainwindow.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "thumbnaildelegate.h"
#include "thumbnailgridmodel.h"
#include "thumbnailprovider.h"

#include "bench_common.h"

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/progress.h"

#include <QApplication>
#include <QDir>
#include <QEventLoop>
#include <QListView>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace crowdsift;
using crowdsift::bench::procStatusMb;
namespace fs = std::filesystem;

namespace {

constexpr int kAnnotators = 100;
constexpr int kClasses = 10;
constexpr int kVotes = 5;
constexpr int kImages = 1000;
constexpr double kWaitLimitSeconds = 120.0;

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}


// Uniform in [0, 1) from the raw generator output, the same on every standard library.
double uniform(std::mt19937_64& random)
{
    return static_cast<double>(random() >> 11) * (1.0 / 9007199254740992.0);
}

int below(std::mt19937_64& random, int n)
{
    return static_cast<int>(uniform(random) * n);
}

Dataset makeDataset(int items, const std::string& root, const std::vector<std::string>& images)
{
    std::mt19937_64 random(20261122);
    Dataset dataset;
    dataset.name = "bench_grid";
    dataset.root = root;
    for (int k = 0; k < kClasses; ++k)
        dataset.classNames.push_back("class " + std::to_string(k));
    std::vector<double> accuracy(kAnnotators);
    for (int w = 0; w < kAnnotators; ++w) {
        dataset.annotatorIds.push_back("w" + std::to_string(w));
        accuracy[static_cast<std::size_t>(w)] = 0.55 + 0.4 * uniform(random);
    }
    std::vector<Answer> answers;
    answers.reserve(static_cast<std::size_t>(items) * kVotes);
    for (int item = 0; item < items; ++item) {
        dataset.itemKeys.push_back(std::to_string(item));
        dataset.splits.push_back(Split::Train);
        dataset.imagePaths.push_back(images[static_cast<std::size_t>(item % kImages)]);
        const int truth = below(random, kClasses);
        dataset.truth.push_back(truth);
        int chosen[kVotes];
        for (int v = 0; v < kVotes; ++v) {
            int w = 0;
            do
                w = below(random, kAnnotators);
            while (std::find(chosen, chosen + v, w) != chosen + v);
            chosen[v] = w;
            int label = truth;
            if (uniform(random) >= accuracy[static_cast<std::size_t>(w)])
                label = (truth + 1 + below(random, kClasses - 1)) % kClasses;
            answers.push_back({item, w, label, false});
        }
    }
    dataset.answers = Answers::fromTriplets(items, kAnnotators, answers);
    dataset.validate();
    return dataset;
}

// Processes events until `done` holds; false after kWaitLimitSeconds.
template <typename Done>
bool waitUntil(Done done)
{
    QEventLoop loop;
    QTimer ticker;  // wakes the loop when nothing else does
    ticker.start(5);
    const Clock::time_point start = Clock::now();
    while (!done()) {
        if (seconds(start) > kWaitLimitSeconds)
            return false;
        loop.processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// The items whose tiles intersect the band's viewport.
std::vector<int> visibleItems(QListView* view, const ThumbnailGridModel* model, QSize grid)
{
    const QSize viewport = view->viewport()->size();
    const int columns = std::max(1, viewport.width() / grid.width());
    const int top = view->verticalScrollBar()->value();
    const int firstLine = top / grid.height();
    const int lastLine = (top + viewport.height() - 1) / grid.height();
    const int count = model->rowCount();
    std::vector<int> items;
    for (int row = firstLine * columns; row < std::min(count, (lastLine + 1) * columns); ++row)
        items.push_back(model->itemAt(row));
    return items;
}

bool allDecoded(ThumbnailProvider* provider, const std::vector<int>& items)
{
    for (int item : items) {
        if (provider->image(item).isNull() && !provider->isFailed(item))
            return false;
    }
    return true;
}

struct Stats {
    double median = 0.0;
    double max = 0.0;
};

Stats stats(std::vector<double> values)
{
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    return {values[values.size() / 2], values.back()};
}

int usage(const char* program)
{
    std::fprintf(stderr, "usage: %s [SHARED_DIR] [--items N] [--max-pages P] [--keep]\n", program);
    return 2;
}

}  // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);

    const char* env = std::getenv("CROWDSIFT_SHARED");
    std::string shared = env && *env ? env : "../shared";
    int itemCount = 200000;
    int maxPages = 0;
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--items" && hasValue)
            itemCount = std::atoi(argv[++i]);
        else if (arg == "--max-pages" && hasValue)
            maxPages = std::atoi(argv[++i]);
        else if (arg == "--keep")
            keep = true;
        else if (!arg.empty() && arg[0] != '-')
            shared = arg;
        else
            return usage(argv[0]);
    }
    if (itemCount < 1000 || maxPages < 0)
        return usage(argv[0]);

    const fs::path train = fs::path(shared) / "datasets/labelme/datasets/labelme/train";
    std::vector<std::string> images;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(train, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".jpg")
            images.push_back(fs::relative(it->path(), train).string());
    std::sort(images.begin(), images.end());
    if (images.size() != kImages) {
        std::fprintf(stderr, "%s: expected %d LabelMe JPEGs, found %zu\n", train.string().c_str(), kImages,
                     images.size());
        return 1;
    }

    QTemporaryDir dir(QDir::tempPath() + "/bench_grid-XXXXXX");
    dir.setAutoRemove(!keep);
    const std::string projectPath = (dir.path() + "/grid.csift").toStdString();
    Clock::time_point start = Clock::now();
    {
        const Dataset dataset = makeDataset(itemCount, fs::absolute(train).string(), images);
        const double generated = seconds(start);
        start = Clock::now();
        Project project = Project::create(projectPath, dataset, Progress::none());
        const double created = seconds(start);
        start = Clock::now();
        const AggregationResult result = aggregate("ds", dataset, nlohmann::json::object(), Progress::none());
        storeAggregationRun(project, dataset, result, {{"strategy", "ds"}}, nlohmann::json::object());
        std::printf("setup: %d items, %zu answers; generate %.2f s, create project %.2f s, "
                    "Dawid-Skene + store %.2f s (%d iterations)\n",
                    itemCount, dataset.answers.size(), generated, created, seconds(start), result.iterations);
    }
    if (keep)
        std::printf("project: %s\n", projectPath.c_str());

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    ReviewPage* review = window.reviewPage();
    ThumbnailProvider* provider = review->thumbnails();
    const QSize grid = review->band(Triage::Easy)->gridSize();

    // Open -> first page.
    start = Clock::now();
    window.openPath(QString::fromStdString(projectPath));
    if (!waitUntil([&] { return !window.document()->isLoading(); }) || !window.document()->aggregation()) {
        std::fprintf(stderr, "the project did not load with its run\n");
        return 1;
    }
    const double loaded = seconds(start);
    window.showPage(MainWindow::Page::Review);
    auto largestBand = [&] {
        Triage largest = Triage::Easy;
        for (Triage triage : {Triage::NeedReview, Triage::Hard}) {
            if (review->bandModel(triage)->rowCount() > review->bandModel(largest)->rowCount())
                largest = triage;
        }
        return largest;
    };
    Triage first = largestBand();
    if (!waitUntil([&] {
            return allDecoded(provider, visibleItems(review->band(first), review->bandModel(first), grid));
        })) {
        std::fprintf(stderr, "the first page never finished decoding\n");
        return 1;
    }
    review->band(first)->viewport()->repaint();
    const double firstPage = seconds(start);
    std::printf("open -> first page: %.3f s (project loaded after %.3f s; band \"%s\" of %d items, %zu visible)\n",
                firstPage, loaded, triageName(first), review->bandModel(first)->rowCount(),
                visibleItems(review->band(first), review->bandModel(first), grid).size());

    // Every item, one band filling the centre.
    std::vector<int> all(static_cast<std::size_t>(itemCount));
    for (int item = 0; item < itemCount; ++item)
        all[static_cast<std::size_t>(item)] = item;
    start = Clock::now();
    review->showItems(QVector<int>(all.begin(), all.end()), QStringLiteral("all items"));
    const double filtered = seconds(start);
    const Triage scrolled = largestBand();
    for (Triage triage : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
        if (triage != scrolled)
            review->band(triage)->parentWidget()->hide();
    }
    QListView* view = review->band(scrolled);
    const ThumbnailGridModel* model = review->bandModel(scrolled);
    waitUntil([&] { return allDecoded(provider, visibleItems(view, model, grid)); });
    QScrollBar* bar = view->verticalScrollBar();
    const int pageStep = std::max(1, view->viewport()->height() / grid.height()) * grid.height();
    const int columns = std::max(1, view->viewport()->width() / grid.width());
    // The list view lays out in batches: its scroll range grows until the last one is done.
    const int lines = (model->rowCount() + columns - 1) / columns;
    const int fullRange = lines * grid.height() - view->viewport()->height();
    start = Clock::now();
    waitUntil([&] { return bar->maximum() >= fullRange; });
    const double laidOut = seconds(start);
    std::printf("showItems(all %d): %.3f s, then %.2f s until the band's layout was complete; band \"%s\": %d "
                "items, viewport %d x %d px, %d columns, %d px per page\n",
                itemCount, filtered, laidOut, triageName(scrolled), model->rowCount(), view->viewport()->width(),
                view->viewport()->height(), columns, pageStep);

    auto showPage = [&](int value) {
        const Clock::time_point pageStart = Clock::now();
        bar->setValue(value);
        if (!waitUntil([&] { return allDecoded(provider, visibleItems(view, model, grid)); }))
            return -1.0;
        view->viewport()->repaint();
        return seconds(pageStart);
    };

    std::vector<int> positions;
    for (int value = 0; value <= bar->maximum(); value += pageStep) {
        positions.push_back(value);
        if (maxPages > 0 && static_cast<int>(positions.size()) >= maxPages)
            break;
    }
    std::vector<double> uncached;
    start = Clock::now();
    for (int value : positions) {
        const double t = showPage(value);
        if (t < 0) {
            std::fprintf(stderr, "page at %d never finished decoding\n", value);
            return 1;
        }
        uncached.push_back(t);
    }
    const double pass = seconds(start);
    const Stats u = stats(uncached);
    std::printf("uncached pages: %zu in %.1f s; per page median %.1f ms, max %.1f ms\n", uncached.size(), pass,
                u.median * 1e3, u.max * 1e3);

    // Back up over the pages whose thumbnails are still cached.
    std::vector<double> cached;
    for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
        const Clock::time_point pageStart = Clock::now();
        bar->setValue(*it);
        QCoreApplication::processEvents();
        if (!allDecoded(provider, visibleItems(view, model, grid)))
            break;
        view->viewport()->repaint();
        cached.push_back(seconds(pageStart));
    }
    const Stats c = stats(cached);
    std::printf("cached pages: %zu (scrolling back while cached); per page median %.2f ms, max %.2f ms\n",
                cached.size(), c.median * 1e3, c.max * 1e3);
    std::printf("peak RSS: %.0f MiB\n", procStatusMb("VmHWM"));
    std::printf("targets: first page %s 1 s, cached pages %s 50 ms, memory %s 1 GB\n", firstPage < 1.0 ? "<" : ">=",
                c.max < 0.05 ? "<" : ">=", procStatusMb("VmHWM") < 1024.0 ? "<" : ">=");
    return 0;
}
