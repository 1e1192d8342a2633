#include "util/parallel.h"

#include <algorithm>
#include <stdexcept>

namespace crowdsift {

int hardwareThreads()
{
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

BlockPartition::BlockPartition(std::int64_t count, std::int64_t blockSize)
    : count(std::max<std::int64_t>(count, 0)), blockSize(std::max<std::int64_t>(blockSize, 1))
{
}

std::int64_t BlockPartition::end(std::int64_t block) const
{
    return std::min(count, (block + 1) * blockSize);
}

ThreadPool::ThreadPool(int threads)
{
    const int n = threads <= 0 ? hardwareThreads() : threads;
    workers_.reserve(static_cast<std::size_t>(n - 1));
    for (int i = 1; i < n; ++i)
        workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_)
        t.join();
}

void ThreadPool::run(std::int64_t blockCount, const std::function<void(std::int64_t)>& body)
{
    if (blockCount <= 0)
        return;
    if (workers_.empty() || blockCount == 1) {
        for (std::int64_t b = 0; b < blockCount; ++b)
            body(b);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        body_ = &body;
        blockCount_ = blockCount;
        nextBlock_ = 0;
        busy_ = static_cast<int>(workers_.size());
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    body_ = nullptr;
    if (error_) {
        std::exception_ptr error = error_;
        error_ = nullptr;
        std::rethrow_exception(error);
    }
}

void ThreadPool::drain()
{
    for (;;) {
        std::int64_t block = 0;
        const std::function<void(std::int64_t)>* body = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (nextBlock_ >= blockCount_)
                return;
            block = nextBlock_++;
            body = body_;
        }
        try {
            (*body)(block);
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_)
                error_ = std::current_exception();
            nextBlock_ = blockCount_;
        }
    }
}

void ThreadPool::workerLoop()
{
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_)
                return;
            seen = generation_;
        }
        drain();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            --busy_;
        }
        done_.notify_one();
    }
}

}  // namespace crowdsift
