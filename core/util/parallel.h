#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crowdsift {

// Number of threads to use when the caller asks for 0 ("as many as the machine has").
int hardwareThreads();

// Splits [0, count) into blocks of `blockSize` consecutive indices. The partition depends only on
// `count` and `blockSize`, never on the number of threads, so a kernel that writes one partial
// result per block and reduces the partials in block order gives bit-identical results whatever
// the thread count.
struct BlockPartition {
    std::int64_t count = 0;
    std::int64_t blockSize = 1;

    BlockPartition(std::int64_t count, std::int64_t blockSize);
    std::int64_t blocks() const { return (count + blockSize - 1) / blockSize; }
    std::int64_t begin(std::int64_t block) const { return block * blockSize; }
    std::int64_t end(std::int64_t block) const;
};

// A small fixed pool of worker threads for data-parallel loops over blocks. The calling thread
// works too, so a pool of 1 runs everything inline. Blocks are handed out dynamically; a kernel
// must therefore write only block-owned memory (see BlockPartition). Not reentrant: one run() at
// a time per pool.
class ThreadPool {
public:
    // threads <= 0: hardwareThreads().
    explicit ThreadPool(int threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threadCount() const { return static_cast<int>(workers_.size()) + 1; }

    // Calls body(block) once for every block in [0, blockCount) and returns when all are done.
    // The first exception thrown by a block is rethrown here after the others have finished.
    void run(std::int64_t blockCount, const std::function<void(std::int64_t block)>& body);

private:
    void workerLoop();
    void drain();

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(std::int64_t)>* body_ = nullptr;
    std::int64_t blockCount_ = 0;
    std::int64_t nextBlock_ = 0;
    int busy_ = 0;
    std::uint64_t generation_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

}  // namespace crowdsift
