/**
 * Models saved here load in PyTorch (torch 1.13 under /usr/bin/python3, or CAMU_TEST_PYTHON):
 * the safetensors state_dict into the reference modules (the paper's CNN; a ResNet-18 with
 * torchvision's layout), and the TorchScript export with torch.jit.load; outputs equal to 1e-5.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, exportTorchScript, saveWeights, tensor, train, writeSafetensorsSync } from '../../../lib';

const python = process.env.CAMU_TEST_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = probe.status === 0 ? probe.stdout.trim() : null;
if (!torchVersion) {
  console.warn(`pytorch-interop: skipped, torch is not importable by ${python} (set CAMU_TEST_PYTHON to a Python with torch)`);
}
const describeWithTorch = torchVersion ? describe : describe.skip;

const script = String.raw`
import json, struct, sys
import torch
import torch.nn as nn

DTYPES = {"F32": torch.float32, "I64": torch.int64, "U8": torch.uint8}

def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    header.pop("__metadata__", None)
    out = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        raw = bytearray(data[8 + size + begin:8 + size + end])
        t = torch.frombuffer(raw, dtype=DTYPES[spec["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[spec["dtype"]])
        out[name] = t.reshape(spec["shape"])
    return out

class CNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(32 * 7 * 7, 256)
        self.fc2 = nn.Sequential(nn.Linear(256, 128), nn.Linear(128, num_classes))
    def forward(self, x):
        x = self.conv2(self.conv1(x))
        h = self.fc1(x.view(x.size(0), -1))
        return self.fc2(h), h

class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)

class ResNet18Cifar(nn.Module):
    """torchvision.models.resnet18's module names, with the 3x3 stride-1 stem and no max-pool."""
    def __init__(self, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        blocks, inplanes = [], 64
        for planes, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks.append(nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes, 1)))
            inplanes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = blocks
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        h = torch.flatten(self.avgpool(x), 1)
        return self.fc(h), h

directory = sys.argv[1]
batch = load_safetensors(directory + "/batch.safetensors")
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
inputs = {"cnn": batch["cnn_images"].float() / 255, "resnet": (batch["resnet_images"].float() / 255 - mean) / std}
result = {}
for name, module in [("cnn", CNN(10)), ("resnet", ResNet18Cifar(3))]:
    module.load_state_dict(load_safetensors(directory + "/" + name + ".safetensors"), strict=True)
    module.eval()
    scripted = torch.jit.load(directory + "/" + name + ".pt")
    scripted.eval()
    with torch.no_grad():
        for kind, model in [("state", module), ("script", scripted)]:
            logits, embedding = model(inputs[name])
            result[name + "_" + kind] = max((logits - batch[name + "_logits"]).abs().max().item(),
                                            (embedding - batch[name + "_embedding"]).abs().max().item())
    result[name + "_keys"] = sorted(scripted.state_dict().keys()) == sorted(module.state_dict().keys())
print(json.dumps(result))
`;

describeWithTorch(`PyTorch ${torchVersion} reads models saved here`, () => {
  test('safetensors state_dicts and TorchScript exports give the same outputs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-interop-'));
    try {
      const cnn = createModel({ architecture: 'cnn', seed: 3 });
      // A trained ResNet, so BatchNorm running statistics and counters are not at their defaults.
      const trainImages = tensor(new Uint8Array(8 * 3 * 16 * 16).map((_, i) => (i * 29) % 256), [8, 3, 16, 16]);
      const trainLabels = tensor(BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 3)), [8]);
      const resnet = (
        await train(createModel({ architecture: 'resnet18-cifar', numClasses: 3 }), { images: trainImages, labels: trainLabels }, {
          epochs: 1,
          batchSize: 4,
        })
      ).model;
      const cnnImages = tensor(new Uint8Array(4 * 784).map((_, i) => (i * 7) % 256), [4, 1, 28, 28]);
      const resnetImages = tensor(new Uint8Array(4 * 3 * 16 * 16).map((_, i) => (i * 11) % 256), [4, 3, 16, 16]);
      const cnnOut = cnn.forward(cnnImages);
      const resnetOut = resnet.forward(resnetImages);
      writeSafetensorsSync(path.join(dir, 'batch.safetensors'), {
        cnn_images: cnnImages,
        cnn_logits: cnnOut.logits,
        cnn_embedding: cnnOut.embedding,
        resnet_images: resnetImages,
        resnet_logits: resnetOut.logits,
        resnet_embedding: resnetOut.embedding,
      });
      for (const [name, model] of [
        ['cnn', cnn],
        ['resnet', resnet],
      ] as const) {
        await saveWeights(model, path.join(dir, `${name}.safetensors`));
        await exportTorchScript(model, path.join(dir, `${name}.pt`));
      }
      const run = spawnSync(python, ['-c', script, dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      if (run.status !== 0) throw new Error(`python failed:\n${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
      expect(result.cnn_keys).toBe(true);
      expect(result.resnet_keys).toBe(true);
      for (const key of ['cnn_state', 'cnn_script', 'resnet_state', 'resnet_script']) {
        expect([key, result[key]]).toEqual([key, expect.any(Number)]);
        expect(result[key]).toBeLessThan(1e-5);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
