#!/usr/bin/env python3
"""scikit-learn's TSNE baseline for bench_tsne: the same input (an N x D float32 .npy, here the
PCA-50 of Fashion-MNIST that bench_tsne wrote), the same perplexity, PCA initialisation and the
learning rate scaled with N ("auto": max(N / 12 / 4, 50) in sklearn's gradient units, which carry a
factor 4), then sklearn.manifold.trustworthiness with the same k.

    tsne_sklearn.py INPUT.npy REPORT.json EMBEDDING.npy [--perplexity 30] [--k 10] [--seed 1]

Writes REPORT.json {"seconds", "cpu_seconds" (every thread of the process), "kl", "trustworthiness", "n", "iterations"} and the map as
EMBEDDING.npy (N x 2 float32).
"""
import argparse
import json
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("report")
    parser.add_argument("embedding")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    x = np.load(args.input).astype(np.float32)
    start = time.perf_counter()
    cpu_start = time.process_time()
    model = TSNE(n_components=2, perplexity=args.perplexity, init="pca", learning_rate="auto",
                 random_state=args.seed, n_jobs=-1)
    y = model.fit_transform(x)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    trust = trustworthiness(x, y, n_neighbors=args.k)
    np.save(args.embedding, y.astype(np.float32))
    with open(args.report, "w") as out:
        json.dump({"seconds": seconds, "cpu_seconds": cpu_seconds, "kl": float(model.kl_divergence_), "trustworthiness": float(trust),
                   "n": int(x.shape[0]), "iterations": int(model.n_iter_)}, out)


if __name__ == "__main__":
    main()
