"""Models of docs/algorithm.md §5. Each forward returns (logits, embedding)."""
import copy
import sys
import zipfile
from typing import Tuple

import torch
from torch import nn

try:
    import torchvision
except ImportError:  # ResNet-18 needs torchvision's layout; the CNN does not
    torchvision = None

ARCHS = ("cnn", "resnet18", "resnet18-cifar")
EXIT_SKIPPED = 3  # exit status of a run skipped because torchvision is missing


def require_torchvision(arch):
    if torchvision is None:
        print(f"--arch {arch}: skipped, torchvision is not importable in this Python "
              "(Debian: apt-get install python3-torchvision; pip: torchvision)", file=sys.stderr)
        raise SystemExit(EXIT_SKIPPED)


class PaperCNN(nn.Module):
    """The paper's MNIST / Fashion-MNIST CNN; state_dict keys match the PyTorch original."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(32 * 7 * 7, 256)
        self.fc2 = nn.Sequential(nn.Linear(256, 128), nn.Linear(128, num_classes))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x))
        embedding = self.fc1(torch.flatten(x, 1))
        return self.fc2(embedding), embedding


class ResNet18(nn.Module):
    """torchvision's ResNet-18 (same submodule names, so torchvision checkpoints load), with the
    trunk's 512-d pooled features as the embedding and fc as the head."""

    def __init__(self, num_classes: int, cifar_stem: bool = False):
        super().__init__()
        trunk = torchvision.models.resnet18(num_classes=num_classes)
        if cifar_stem:  # 32-px inputs: 3x3 stride-1 stem, no max-pool
            trunk.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            trunk.maxpool = nn.Identity()
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"):
            setattr(self, name, getattr(trunk, name))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        embedding = torch.flatten(self.avgpool(x), 1)
        return self.fc(embedding), embedding


def build_model(arch, num_classes):
    if arch == "cnn":
        return PaperCNN(num_classes)
    if arch in ("resnet18", "resnet18-cifar"):
        require_torchvision(arch)
        return ResNet18(num_classes, cifar_stem=arch == "resnet18-cifar")
    raise ValueError(f"--arch: unknown architecture {arch!r} (one of {', '.join(ARCHS)})")


def _is_torchscript(path):
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") for name in archive.namelist())


def load_model(path, arch, num_classes, device):
    """A state_dict file (torch.save) or a TorchScript file (camu's exchange format) -> nn.Module."""
    model = build_model(arch, num_classes)
    if _is_torchscript(path):
        state = torch.jit.load(str(path), map_location="cpu").state_dict()
    else:
        state = torch.load(str(path), map_location="cpu")
        if not isinstance(state, dict):
            raise ValueError(f"{path}: expected a state_dict or a TorchScript file")
    model.load_state_dict(state)
    return model.to(device)


def save_state(model, path):
    torch.save(model.state_dict(), str(path))


def save_torchscript(model, path):
    """Scripted copy on CPU in eval mode: forward(x) -> (logits, embedding), what camu loads."""
    scripted = torch.jit.script(copy.deepcopy(model).cpu().eval())
    scripted.save(str(path))


def forward_flops(model, input_shape):
    """Multiply-add FLOPs (2 per MAC) of the Conv2d and Linear layers for one forward pass."""
    total = [0]

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kernel = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            total[0] += 2 * output.numel() * kernel
        elif isinstance(module, nn.Linear):
            total[0] += 2 * output.numel() * module.in_features

    probe = copy.deepcopy(model).cpu().eval()  # eval: batch-norm statistics stay untouched
    for module in probe.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.register_forward_hook(count)
    with torch.no_grad():
        probe(torch.zeros(input_shape))
    return total[0]
