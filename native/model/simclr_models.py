"""PyTorch definitions of the SimCLR classifiers SimClrV2.Sophon runs.

* ReferenceSimCLR: the reference deployment's model exactly - torchvision's ResNet-50 children
  without `fc` and `maxpool`, `conv1` replaced by a 3x3 stride-1 padding-1 conv, kept as the
  nn.Sequential `f` (state-dict keys f.0.* conv1, f.1.* bn1, f.3.*..f.6.* layer1..layer4), then
  flatten and `fc` = Linear(2048, classes). With `projection_head=True` it also has the stage-1
  head `g` (Linear 2048->512 no bias, BatchNorm, ReLU, Linear 512->128), so full checkpoints load.
* SimCLRv2ResNet: Google's SimCLRv2 family - ResNet-18/34/50/101/152 with a width multiplier,
  optional selective kernels, a 3-layer projection head, and a classifier fine-tuned from the
  first projection layer (encoder -> head layer 1 -> fc), with the CIFAR or the ImageNet stem.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class ReferenceSimCLR(nn.Module):
    """The reference sample's classifier: SimCLR ResNet-50 encoder (CIFAR stem) + linear head."""

    def __init__(self, num_classes=10, projection_head=False):
        super().__init__()
        layers = []
        for name, module in torchvision.models.resnet50().named_children():
            if name == "conv1":
                module = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            if not isinstance(module, (nn.Linear, nn.MaxPool2d)):
                layers.append(module)
        self.f = nn.Sequential(*layers)
        self.g = nn.Sequential(
            nn.Linear(2048, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True), nn.Linear(512, 128, bias=True)
        ) if projection_head else None
        self.fc = nn.Linear(2048, num_classes, bias=True)

    def forward(self, x):
        feature = torch.flatten(self.f(x), start_dim=1)
        return self.fc(feature)


class SelectiveKernel(nn.Module):
    """A 3x3 conv with two branches (dilation 1 and 2) mixed by channel attention (SK-Net, as in SimCLRv2's SK models)."""

    def __init__(self, in_channels, out_channels, stride=1, sk_ratio=0.0625, min_dim=32):
        super().__init__()
        self.branches = nn.ModuleList([
            nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, padding=d, dilation=d, bias=False),
                          nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
            for d in (1, 2)
        ])
        hidden = max(int(out_channels * sk_ratio), min_dim)
        self.squeeze = nn.Sequential(nn.Linear(out_channels, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True))
        self.excite = nn.Linear(hidden, 2 * out_channels, bias=False)

    def forward(self, x):
        branches = torch.stack([b(x) for b in self.branches], dim=1)  # N, 2, C, H, W
        pooled = branches.sum(dim=1).mean(dim=(2, 3))
        attention = self.excite(self.squeeze(pooled)).view(x.shape[0], 2, -1, 1, 1).softmax(dim=1)
        return (branches * attention).sum(dim=1)


def _conv3x3(in_channels, out_channels, stride, sk):
    if sk:
        return SelectiveKernel(in_channels, out_channels, stride)
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class _Basic(nn.Module):
    expansion = 1

    def __init__(self, in_channels, channels, stride, sk):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, channels, stride, sk)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = _shortcut(in_channels, channels, stride)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(self.conv1(x))) + self.shortcut(x))


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels, channels, stride, sk):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, channels, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.conv2 = _conv3x3(channels, channels, stride, sk)
        self.conv3 = nn.Conv2d(channels, channels * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels * 4)
        self.shortcut = _shortcut(in_channels, channels * 4, stride)

    def forward(self, x):
        return F.relu(self.bn3(self.conv3(self.conv2(self.conv1(x)))) + self.shortcut(x))


def _shortcut(in_channels, out_channels, stride):
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))


_DEPTHS = {18: (_Basic, (2, 2, 2, 2)), 34: (_Basic, (3, 4, 6, 3)), 50: (_Bottleneck, (3, 4, 6, 3)),
           101: (_Bottleneck, (3, 4, 23, 3)), 152: (_Bottleneck, (3, 8, 36, 3))}


class SimCLRv2ResNet(nn.Module):
    """Google SimCLRv2-style classifier: ResNet encoder (width multiplier, optional SK) -> first
    projection layer (Linear no bias + BN + ReLU) -> linear classifier. `head` holds all three
    projection layers, so pretraining checkpoints load; the classifier uses only the first."""

    def __init__(self, depth=50, width=1.0, sk=False, cifar_stem=True, num_classes=10, head_dim=128):
        super().__init__()
        if depth not in _DEPTHS:
            raise ValueError(f"depth must be one of {sorted(_DEPTHS)}, got {depth}")
        block, counts = _DEPTHS[depth]
        base = int(64 * width)
        if cifar_stem:
            self.stem = nn.Sequential(nn.Conv2d(3, base, 3, 1, 1, bias=False), nn.BatchNorm2d(base), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, base, 7, 2, 3, bias=False), nn.BatchNorm2d(base), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        layers, in_channels = [], base
        for i, count in enumerate(counts):
            channels = base * (2 ** i)
            blocks = []
            for j in range(count):
                blocks.append(block(in_channels, channels, 2 if (j == 0 and i > 0) else 1, sk))
                in_channels = channels * block.expansion
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.feature_dim = in_channels
        self.head = nn.ModuleList([
            nn.Sequential(nn.Linear(in_channels, in_channels, bias=False), nn.BatchNorm1d(in_channels), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Linear(in_channels, in_channels, bias=False), nn.BatchNorm1d(in_channels), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Linear(in_channels, head_dim, bias=False), nn.BatchNorm1d(head_dim)),
        ])
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        feature = torch.flatten(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1)
        return self.fc(self.head[0](feature))


def build(arch, **kwargs):
    """`reference` or `simclrv2` (kwargs: depth, width, sk, cifar_stem)."""
    if arch == "reference":
        return ReferenceSimCLR(num_classes=kwargs.get("num_classes", 10), projection_head=kwargs.get("projection_head", False))
    if arch == "simclrv2":
        return SimCLRv2ResNet(**kwargs)
    raise ValueError(f"unknown architecture '{arch}'; use 'reference' or 'simclrv2'")


def load_checkpoint(model, path):
    """Loads a .pth (a state dict, or a dict with 'state_dict'/'model'); the projection head may be absent
    or present. Raises when encoder or classifier weights are missing. Returns the keys it ignored."""
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if key in state and isinstance(state[key], dict):
                state = state[key]
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith(("g.", "head.1", "head.2"))]
    if missing:
        raise ValueError(f"{path} lacks {len(missing)} weights the model needs, e.g. {missing[:5]}")
    return result.unexpected_keys
