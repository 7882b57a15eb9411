/**
 * The PyTorch baselines of the benchmark (bench/pytorch/baselines.py) resolve their settings as
 * camu's descriptors do (defaults, the preset of the split's scenario and dataset, explicit options), and take
 * camu's forget stop in every method's loop. Needs torch under /usr/bin/python3 (or
 * CAMU_BENCH_PYTHON, as bench/run.js); skipped without it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { resolveOptions } from '../../lib/unlearn/descriptor';
import { methodDescriptor } from '../../lib/unlearn/methods';
import type { Split } from '../../lib/splits';
import { packageRoot } from '../helpers/paths';

const python = process.env.CAMU_BENCH_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.warn(`bench-pytorch-baselines: skipped, torch is not importable by ${python} (set CAMU_BENCH_PYTHON)`);
}
const describeWithTorch = probe.status === 0 ? describe : describe.skip;

/** Runs `script` with bench/pytorch on the path, `input` as JSON on stdin; its stdout as JSON. */
function runPython(script: string, input: unknown): any {
  const result = spawnSync(python, ['-c', script], {
    cwd: path.join(packageRoot, 'bench', 'pytorch'),
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const METHODS = ['finetune', 'neggrad', 'neggrad+', 'random-label', 'salun', 'scrub', 'bad-teacher'];

describeWithTorch('bench/pytorch/baselines.py', () => {
  it('resolves every method\'s settings and preset as camu does, per scenario and given options', () => {
    const scenarios = [
      { type: 'class', classes: [0] },
      { type: 'random', fraction: 0.1 },
      { type: 'class', classes: [0, 1], proportions: [1, 0.5] },
      { type: 'class', classes: [0, 1], proportions: [1, 1] },
    ];
    const givens: Record<string, number>[] = [
      {},
      { learningRate: 0.02 },
      { epochs: 2, forgetTarget: 5 },
      { alpha: 0.99, epochs: 2, forgetTarget: -1 },
      { forgetProbe: 10, forgetCheckEvery: 3 },
    ];
    // Some methods have Fashion-MNIST presets besides `class` and `random`.
    const datasets = ['mnist', 'fashion-mnist'];
    const cases = [];
    for (const method of METHODS) {
      const descriptor = methodDescriptor(method);
      for (const dataset of datasets) {
        for (const scenario of scenarios) {
          for (const given of givens) {
            if (!Object.keys(given).every((name) => name in descriptor.options)) continue;
            const split = { scenario, dataset: { name: dataset } } as unknown as Split;
            const { values, preset } = resolveOptions(descriptor, split, given, 'test');
            cases.push({ method, dataset, scenario, given, values, preset });
          }
        }
      }
    }
    const resolved = runPython(
      `
import json, sys
import baselines
out = []
for c in json.load(sys.stdin):
    # numbers as pipeline.py's --set reads them
    settings, preset = baselines.settings_for(c["method"], {k: float(v) for k, v in c["given"].items()}, c["scenario"], c["dataset"])
    out.append({"values": settings, "preset": preset})
print(json.dumps(out))
`,
      cases,
    );
    expect(cases.length).toBeGreaterThan(100);
    expect(resolved).toEqual(cases.map(({ values, preset }) => ({ values, preset })));
  });

  it('ends each method at the first check at or below forgetTarget, and only there', () => {
    const reports = runPython(
      `
import json, sys, types
import torch
from torch import nn
import baselines
from data import ImageDataset
from splits import Split

class Tiny(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.fc = nn.Linear(16, classes)
    def forward(self, x):
        h = x.flatten(1)
        return self.fc(h), h

def fixture(classes):
    torch.manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 4, 4), dtype=torch.uint8)
    labels = torch.arange(40) % classes
    train = ImageDataset(images, labels)
    data = types.SimpleNamespace(train=train, train_eval=train, train_labels=labels, num_classes=classes)
    forget = torch.tensor([1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31])
    retain = torch.tensor([i for i in range(40) if i not in forget.tolist()])
    split = Split("tiny", 40, classes, {"type": "random", "fraction": 0.25}, 0, 1, forget, retain[:11])
    return data, split, Tiny(classes)

out = {"methods": {}}
data, split, model = fixture(10)
for method in json.load(sys.stdin):
    runs = {}
    for name, given in {"off": {}, "stop": {"forgetTarget": 100.0, "forgetCheckEvery": 2.0},
                        "unchecked": {"forgetTarget": 0.0, "forgetCheckEvery": 1e6}}.items():
        settings, _ = baselines.settings_for(method, dict(given, batchSize=4.0, epochs=2.0), split.scenario)
        unlearned, stats = baselines.unlearn(method, model, data, split, settings, 0, "cpu")
        runs[name] = {"stats": {k: stats[k] for k in ("stepsPerEpoch", "forgetStop")},
                      "epochs": len(stats["epochSeconds"]),
                      "weights": [p.detach().flatten().tolist() for p in unlearned.parameters()]}
    out["methods"][method] = runs

# the probe: samples evenly spaced over the forget indices (labels = train indices here)
data, split, model = fixture(40)
settings, _ = baselines.settings_for("neggrad", {"forgetTarget": 50.0, "forgetProbe": 4.0}, split.scenario)
out["probe"] = baselines.ForgetStop(model, data, split, settings, "cpu").y.tolist()
print(json.dumps(out))
`,
      METHODS,
    );
    // positions floor(k * 11 / 4), k = 0..3: 0, 2, 5, 8 of the 11 forget indices
    expect(reports.probe).toEqual([1, 7, 16, 25]);
    for (const method of METHODS) {
      const { off, stop, unchecked } = reports.methods[method];
      expect(off.stats.forgetStop).toBeNull();
      expect(off.epochs).toBe(2);
      // every check is at or below 100%: the run ends after step 2, its first check
      expect(stop.epochs).toBe(1);
      expect(stop.stats.stepsPerEpoch).toBe(2);
      expect(stop.stats.forgetStop).toMatchObject({ probeSize: 11, target: 100, checks: 1, stoppedAfterStep: 2 });
      // a stop that never checks runs the whole run, bitwise the run without it
      expect(unchecked.stats.forgetStop).toMatchObject({ checks: 0, stoppedAfterStep: null });
      expect(unchecked.epochs).toBe(2);
      expect(unchecked.weights).toEqual(off.weights);
    }
  });
});
