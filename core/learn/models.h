#pragma once

// The networks Crowdsift trains, described without torch types. The factory lives in
// models.cpp; torch-facing code includes learn/torch_models.h.

#include <string>
#include <vector>

namespace crowdsift {

// Every network takes N x C x H x W float images (uint8 / 255, then standardised per channel with
// the training rows' mean and standard deviation, kept as buffers input_mean / input_std) or N x D
// feature vectors (standardised per feature), and returns N x K logits. Weights start from
// PyTorch's default initialisation (uniform in +-1/sqrt(fan_in) for convolutions and linear
// layers, batch norm weight 1 and bias 0; batch norm momentum 0.1, eps 1e-5), drawn from the
// training seed, so that a PyTorch script mirrors them layer by layer:
//
//   mlp          flatten -> [Linear(-> h) -> ReLU -> Dropout(dropout)] per h in `hidden` -> Linear(-> K)
//   small-cnn    w = width; conv = Conv2d 3x3, padding 1, no bias; bn = BatchNorm2d
//                stem:  conv(C -> w) -> bn -> GELU
//                block(a -> b): conv(a -> b) -> MaxPool2d(2) -> bn -> GELU -> conv(b -> b) -> bn -> GELU
//                blocks w -> 2w, 2w -> 4w, 4w -> 4w; AdaptiveMaxPool2d(1) -> flatten
//                -> Linear(4w -> K, no bias) -> x 1/9 (airbench: small initial logits).
//                Needs images of at least 8 x 8 pixels.
//   resnet18     BasicBlock ResNet-18 (2, 2, 2, 2 blocks of 64, 128, 256, 512 channels; 1x1
//                conv + bn shortcuts where the shape changes) with the CIFAR stem: Conv2d 3x3
//                (C -> 64, stride 1, no bias) -> bn -> ReLU, no max-pool; global average pool
//                -> Linear(512 -> K). 11.17 M parameters for RGB and 10 classes.
//   torchscript  a frozen TorchScript module (eval mode, no gradients) maps N x C x H x W float
//                images in [0, 1] (not standardised: the module normalises itself) or N x D
//                features to N x D' embeddings (extra dimensions flattened); the embeddings are
//                computed once per input row and standardised per feature, then an mlp head
//                with `hidden` (empty = linear) is trained. No augmentation. Export one from
//                Python, e.g.:
//                    m = torchvision.models.resnet18(weights="DEFAULT"); m.fc = torch.nn.Identity()
//                    class Backbone(torch.nn.Module):
//                        def __init__(self, m): super().__init__(); self.m = m.eval()
//                        def forward(self, x):  # x: N x 3 x H x W in [0, 1]
//                            mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
//                            std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
//                            return self.m((x - mean.to(x.device)) / std.to(x.device))
//                    torch.jit.script(Backbone(m)).save("backbone.pt")
struct ModelSpec {
    std::string name = "small-cnn";
    std::vector<int> hidden{256};  // mlp and the torchscript head: hidden widths (empty = linear)
    int width = 32;                // small-cnn: channels of the first block (doubled per block)
    double dropout = 0.0;          // mlp / head: dropout after each hidden activation
    std::string backbone;          // torchscript: path of the TorchScript file
};

// "mlp", "small-cnn", "resnet18", "torchscript".
std::vector<std::string> modelNames();

// Throws InputError for an unknown name, a torchscript spec without a backbone path, or a model
// that cannot take this input (an image network on feature vectors).
void validateModelSpec(const ModelSpec& spec, bool inputHasImages);

}  // namespace crowdsift
