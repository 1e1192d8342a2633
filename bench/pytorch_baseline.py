#!/usr/bin/env python3
"""The PyTorch (Python, eager) baseline of bench_learn --cv: the same network, schedule and
cross-validation, written the way a PyTorch user would, on the same prepared folder.

    python3 bench/pytorch_baseline.py DIR [--like cpp.json] [--device cuda] [--json py.json]

DIR is what `bench_learn --prepare DIR` writes: images.npy (N x H x W x C uint8), labels.npy (the
majority vote, N int32: the training labels), truth.npy (N int32), folds.npy (N int32, the
stratified folds that crowdsift's crossValidate draws for 5 folds and seed 0). --like reads a
bench_learn --cv --json report and runs what it ran: its settings, its items (--limit), its
training labels and its folds; explicit options override the settings. The report has bench_learn's keys: "seconds" (wall time of the
whole cross-validation after an untimed warm-up), "images_per_second" (every fold's training
rows times its epochs, over that wall time), "trainer_images_per_second" (epoch time only),
"accuracy" (out-of-sample argmax against the truth).

What mirrors core/learn (models.cpp, trainer.cpp, crossval.cpp):
  small-cnn, width w: conv3x3(C->w, no bias) BN GELU; three blocks w->2w, 2w->4w, 4w->4w of
    conv3x3 -> max-pool 2 -> BN -> GELU -> conv3x3 -> BN -> GELU; global max-pool; linear
    (4w->K, no bias) times 1/9. PyTorch's default initialisation (the C++ code draws the same
    distributions), BN momentum 0.1, eps 1e-5.
  input: uint8 images kept on the device, per batch float / 255, augmented, then standardised
    per channel by the training rows' mean and (population) standard deviation.
  augmentation: reflect padding of round(side / 8), a random crop back to the side, a random
    horizontal flip with probability 1/2; per image.
  SGD with Nesterov momentum and weight decay on every parameter; per batch, a linear warm-up
    over warmup_epochs (lr (step + 1) / warmup steps) then a cosine to 0; loss
    -sum(t' log softmax(logits)) with t' = (1 - eps) onehot + eps / K.
  batches: a fresh permutation per epoch, ceil(n / batch) batches, a last batch of one joined to
    the one before.
  CUDA: bf16 autocast around the forward pass, channels_last, cudnn.benchmark.
  prediction: eval mode, batches of max(256, 2 x batch), softmax.
Random streams differ (weights, permutations, crops): accuracies agree in distribution, not
bit for bit.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    def __init__(self, channels, width, classes):
        super().__init__()

        def conv_bn(cin, cout):
            return nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)

        self.stem_conv, self.stem_norm = conv_bn(channels, width)
        widths = [width, 2 * width, 4 * width, 4 * width]
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for b in range(3):
            for cin, cout in ((widths[b], widths[b + 1]), (widths[b + 1], widths[b + 1])):
                conv, norm = conv_bn(cin, cout)
                self.convs.append(conv)
                self.norms.append(norm)
        self.head = nn.Linear(4 * width, classes, bias=False)

    def forward(self, x):
        x = F.gelu(self.stem_norm(self.stem_conv(x)))
        for i in range(0, len(self.convs), 2):
            x = F.max_pool2d(self.convs[i](x), 2)
            x = F.gelu(self.norms[i](x))
            x = F.gelu(self.norms[i + 1](self.convs[i + 1](x)))
        x = F.adaptive_max_pool2d(x, 1).flatten(1)
        return self.head(x) * (1.0 / 9.0)


class Net(nn.Module):
    """Standardisation buffers in front of the body, as crowdsift's NetImpl."""

    def __init__(self, body, channels):
        super().__init__()
        self.body = body
        self.register_buffer("input_mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("input_std", torch.ones(1, channels, 1, 1))

    def forward(self, x):
        return self.body((x - self.input_mean) / self.input_std)


def llround(value):
    return int(math.floor(value + 0.5))


def scheduled_lr(cfg, step, steps_per_epoch):
    total = cfg["epochs"] * steps_per_epoch
    warmup = min(total, llround(cfg["warmup_epochs"] * steps_per_epoch))
    peak = cfg["lr"]
    if step < warmup:
        return peak * (step + 1) / warmup
    if cfg["schedule"] == "constant":
        return peak
    if cfg["schedule"] == "step":
        every = cfg["step_epochs"] if cfg["step_epochs"] > 0 else max(1, cfg["epochs"] // 3)
        return peak * cfg["step_gamma"] ** ((step // max(1, steps_per_epoch)) // every)
    t = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1.0 + math.cos(math.pi * t))


class Trainer:
    def __init__(self, cfg, device, channels, classes, seed):
        self.cfg = cfg
        self.device = device
        self.classes = classes
        self.mixed = device.type == "cuda" and cfg["mixed_precision"]
        torch.manual_seed(seed)
        if cfg["model"] != "small-cnn":
            raise SystemExit("pytorch_baseline.py mirrors small-cnn only, not " + cfg["model"])
        self.net = Net(SmallCnn(channels, cfg["width"], classes), channels).to(device)
        self.memory_format = torch.channels_last if self.mixed else torch.contiguous_format
        if self.mixed:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.generator = torch.Generator().manual_seed(seed + 1)

    def to_float(self, raw):
        return raw.permute(0, 3, 1, 2).float().div_(255.0)

    def forward(self, x):
        autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if self.mixed else contextlib.nullcontext()
        with autocast:
            logits = self.net(x)
        return logits.float()

    def augmentation(self, count, height, width):
        """Every image's crop offsets and flip for one epoch, drawn at once and moved once."""
        pad_y, pad_x = llround(height / 8.0), llround(width / 8.0)
        dy = torch.randint(0, 2 * pad_y + 1, (count, 1), generator=self.generator)
        dx = torch.randint(0, 2 * pad_x + 1, (count, 1), generator=self.generator)
        flip = torch.rand(count, generator=self.generator) < 0.5
        return pad_y, pad_x, dy.to(self.device), dx.to(self.device), flip.to(self.device)

    def augment(self, x, pads, dy, dx, flip):
        n, _, height, width = x.shape
        pad_y, pad_x = pads
        if self.cfg["augment"] and (pad_y or pad_x):
            padded = F.pad(x, (pad_x, pad_x, pad_y, pad_y), mode="reflect")
            ys = (dy + torch.arange(height, device=x.device)).view(n, height, 1)
            xs = (dx + torch.arange(width, device=x.device)).view(n, 1, width)
            images = torch.arange(n, device=x.device).view(n, 1, 1)
            x = padded.permute(0, 2, 3, 1)[images, ys, xs].permute(0, 3, 1, 2)
        if self.cfg["flip"]:
            x = torch.where(flip.view(n, 1, 1, 1), x.flip(3), x)
        return x

    def fit(self, images, labels, on_epoch=None):
        """images: n x H x W x C uint8 on the device; labels: n int64 on the device."""
        cfg = self.cfg
        count, height, width, channels = images.shape
        with torch.no_grad():
            pixels = images.double().div_(255.0).reshape(-1, channels)
            mean = pixels.mean(0)
            std = (pixels.square().mean(0) - mean.square()).clamp_min(0).sqrt()
            std = torch.where(std > 1e-6, std, torch.ones_like(std))
            self.net.input_mean.copy_(mean.float().view(1, -1, 1, 1))
            self.net.input_std.copy_(std.float().view(1, -1, 1, 1))
            targets = F.one_hot(labels, self.classes).float()

        optimizer = torch.optim.SGD(self.net.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                                    nesterov=cfg["momentum"] > 0, weight_decay=cfg["weight_decay"])
        smoothing = cfg["label_smoothing"]
        batch_size = min(cfg["batch_size"], count)
        batches = (count + batch_size - 1) // batch_size
        if count % batch_size == 1 and batches > 1:
            batches -= 1
        augmenting = cfg["augment"] or cfg["flip"]
        step = 0
        samples, seconds = 0, 0.0
        for epoch in range(1, cfg["epochs"] + 1):
            start = time.perf_counter()
            self.net.train()
            order = torch.randperm(count, generator=self.generator).to(self.device)
            if augmenting:
                pad_y, pad_x, dy, dx, flip = self.augmentation(count, height, width)
            loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
            correct = torch.zeros((), dtype=torch.int64, device=self.device)
            for b in range(batches):
                begin = b * batch_size
                end = count if b + 1 == batches else begin + batch_size
                index = order[begin:end]
                x = self.to_float(images.index_select(0, index))
                if augmenting:
                    x = self.augment(x, (pad_y, pad_x), dy[begin:end], dx[begin:end], flip[begin:end])
                x = x.contiguous(memory_format=self.memory_format)
                lr = scheduled_lr(cfg, step, batches)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                optimizer.zero_grad()
                logits = self.forward(x)
                smoothed = targets.index_select(0, index) * (1.0 - smoothing) + smoothing / self.classes
                loss = -(smoothed * torch.log_softmax(logits, 1)).sum(1).mean()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    loss_sum += loss.detach() * (end - begin)
                    correct += (logits.argmax(1) == labels.index_select(0, index)).sum()
                step += 1
            train_loss = loss_sum.item() / count
            train_accuracy = correct.item() / count
            elapsed = time.perf_counter() - start
            samples += count
            seconds += elapsed
            if on_epoch:
                on_epoch({"epoch": epoch, "loss": train_loss, "accuracy": train_accuracy, "seconds": elapsed,
                          "images_per_second": count / elapsed})
        self.net.eval()
        return samples, seconds

    @torch.no_grad()
    def predict(self, images):
        self.net.eval()
        batch = max(256, 2 * self.cfg["batch_size"])
        out = []
        for begin in range(0, images.shape[0], batch):
            x = self.to_float(images[begin:begin + batch]).contiguous(memory_format=self.memory_format)
            out.append(torch.softmax(self.forward(x), 1).cpu())
        return torch.cat(out).numpy()


DEFAULTS = {
    # crowdsift's ModelSpec and TrainConfig defaults; --like replaces them with a run's settings.
    "model": "small-cnn", "width": 32, "epochs": 10, "batch_size": 128, "optimizer": "sgd", "lr": 0.05,
    "momentum": 0.9, "weight_decay": 5e-4, "schedule": "cosine", "warmup_epochs": 1.0, "step_epochs": 0,
    "step_gamma": 0.1, "label_smoothing": 0.0,
    "augment": True, "flip": True, "mixed_precision": True, "folds": 5, "seed": 0, "threads": 0,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--like", help="bench_learn --json report whose settings to use")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    for key in ("width", "epochs", "batch_size", "folds", "seed", "threads"):
        parser.add_argument("--" + key.replace("_", "-"), type=int)
    for key in ("lr", "label_smoothing", "warmup_epochs", "weight_decay", "momentum"):
        parser.add_argument("--" + key.replace("_", "-"), type=float)
    parser.add_argument("--no-mixed-precision", action="store_true")
    parser.add_argument("--warmup", action="store_true", help="warm up before timing (default: on CUDA only)")
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--compile", action="store_true", help="torch.compile the network (off: eager)")
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = dict(DEFAULTS)
    like = {}
    if args.like:
        with open(args.like) as f:
            like = json.load(f)
        cfg.update(like["config"])
    for key in ("width", "epochs", "batch_size", "folds", "seed", "threads", "lr", "label_smoothing",
                "warmup_epochs", "weight_decay", "momentum"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.no_mixed_precision:
        cfg["mixed_precision"] = False
    if cfg["optimizer"] != "sgd":
        raise SystemExit("pytorch_baseline.py mirrors the SGD recipe only")

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("pytorch_baseline.py: CUDA is not available")
    # As in the C++ trainer, mixed precision is a CUDA-only setting.
    cfg["mixed_precision"] = bool(cfg["mixed_precision"]) and device.type == "cuda"
    torch.set_num_threads(cfg["threads"] if cfg["threads"] > 0 else (os.cpu_count() or 1))
    if cfg["mixed_precision"]:
        torch.backends.cudnn.benchmark = True

    folder = args.folder
    images_np = np.load(os.path.join(folder, "images.npy"))
    if images_np.dtype != np.uint8 or images_np.ndim not in (3, 4):
        raise SystemExit(f"{folder}/images.npy: expected uint8 N x H x W [x C], found {images_np.dtype} {images_np.shape}")
    if images_np.ndim == 3:
        images_np = images_np[..., None]
    truth = np.load(os.path.join(folder, "truth.npy")).astype(np.int64)
    folds = cfg["folds"]
    classes = sum(1 for line in open(os.path.join(folder, "classes.txt")) if line.strip())
    if "item_folds" in like and folds == like["config"]["folds"] and cfg["seed"] == like["config"]["seed"]:
        labels_np = np.asarray(like["item_labels"], dtype=np.int64)
        fold_of = np.asarray(like["item_folds"], dtype=np.int64)
    else:
        folds_path = os.path.join(folder, "folds.npy")
        if not (os.path.exists(folds_path) and folds == 5 and cfg["seed"] == 0):
            raise SystemExit(f"pytorch_baseline.py: crowdsift's folds for --folds {folds} --seed {cfg['seed']} are "
                             f"not at hand: {folds_path} holds those for 5 folds and seed 0 only; pass --like with "
                             "a bench_learn --cv --json report of these settings")
        labels_np = np.load(os.path.join(folder, "labels.npy")).astype(np.int64)
        fold_of = np.load(folds_path).astype(np.int64)
    n = len(labels_np)
    images_np, truth = images_np[:n], truth[:n]
    _, height, width, channels = images_np.shape

    print("config: " + " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in cfg.items()))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"data: {n} images {height}x{width}x{channels}, {classes} classes; device {device.type} ({name}); "
          f"torch {torch.__version__}")

    images = torch.from_numpy(images_np).to(device)
    labels = torch.from_numpy(labels_np).to(device)

    def make_trainer(settings, seed):
        trainer = Trainer(settings, device, channels, classes, seed)
        if args.compile:
            trainer.net = torch.compile(trainer.net)
        return trainer

    report = {"program": "pytorch_baseline", "mode": "cv", "data": folder, "items": n, "classes": classes,
              "image": [height, width, channels], "device": device.type, "device_name": name,
              "torch": torch.__version__, "hardware_threads": os.cpu_count(), "compile": args.compile,
              "config": cfg}

    if args.warmup or (device.type == "cuda" and not args.no_warmup):
        start = time.perf_counter()
        trainer = make_trainer(dict(cfg, epochs=1), cfg["seed"])
        rows = torch.arange(min(n, 2048), device=device)
        keep = labels.index_select(0, rows) >= 0
        trainer.fit(images.index_select(0, rows[keep]), labels.index_select(0, rows[keep]))
        trainer.predict(images.index_select(0, rows))
        if device.type == "cuda":
            torch.cuda.synchronize()
        report["warmup_seconds"] = time.perf_counter() - start
        print(f"warm-up: {report['warmup_seconds']:.2f} s (untimed)")

    probabilities = np.zeros((n, classes), dtype=np.float32)
    histories = []
    train_images = 0
    samples, trainer_seconds = 0, 0.0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for f in range(folds):
        train_rows = np.nonzero((fold_of >= 0) & (fold_of != f) & (labels_np >= 0))[0]
        predict_rows = np.nonzero((fold_of == f) | ((fold_of < 0) & (f == 0)))[0]
        history = []

        def on_epoch(record, f=f, history=history):
            history.append(record)
            if not args.quiet:
                print(f"  fold {f + 1}/{folds} epoch {record['epoch']}/{cfg['epochs']}  loss {record['loss']:.4f}  "
                      f"acc {record['accuracy']:.4f}  {record['seconds']:.2f} s  "
                      f"{record['images_per_second']:.0f} img/s", file=sys.stderr)

        trainer = make_trainer(cfg, cfg["seed"] + f)
        index = torch.from_numpy(train_rows).to(device)
        fold_samples, fold_seconds = trainer.fit(images.index_select(0, index), labels.index_select(0, index), on_epoch)
        probabilities[predict_rows] = trainer.predict(images.index_select(0, torch.from_numpy(predict_rows).to(device)))
        samples += fold_samples
        trainer_seconds += fold_seconds
        train_images += len(train_rows) * len(history)
        histories.append(history)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    known = truth >= 0
    model_accuracy = float((probabilities.argmax(1)[known] == truth[known]).mean())
    label_accuracy = float((labels_np[known] == truth[known]).mean())
    print(f"cross-validation: {folds} folds x {cfg['epochs']} epochs, {train_images} training images in {seconds:.2f} s "
          f"(CPU time {cpu_seconds:.2f} s)")
    print(f"  images/s (wall, training + prediction): {train_images / seconds:.0f}")
    print(f"  images/s (trainer, epochs only):        {samples / trainer_seconds:.0f}")
    print(f"  accuracy vs truth: training labels (majority vote) {label_accuracy:.4f}, "
          f"out-of-sample argmax {model_accuracy:.4f}")
    report.update({"seconds": seconds, "cpu_seconds": cpu_seconds, "train_images": train_images, "images_per_second": train_images / seconds,
                   "trainer_images_per_second": samples / trainer_seconds, "train_label_accuracy": label_accuracy,
                   "accuracy": model_accuracy, "history": histories})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
