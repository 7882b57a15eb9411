/**
 * Every reader of a file a user names opens only regular files: a FIFO (or a directory) is a coded
 * error at once. Before, a FIFO made the safetensors, TorchScript, split, results and config
 * readers wait for a writer forever.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, ErrorCode, loadSplit, loadTorchScript, loadWeights, makeSplit } from '../../lib';
import { readConfig } from '../../lib/cli/options';
import { readResults } from '../../lib/reproduce/store';
import { quadrantsDataset } from '../helpers/unlearning';

const SECONDS = 10_000;
let work: string;
let fifo: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-special-'));
  fifo = path.join(work, 'pipe');
  execFileSync('mkfifo', [fifo]);
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const ioError = (kind: string) => expect.objectContaining({ code: ErrorCode.Io, message: expect.stringContaining(kind) });

test('model files: safetensors weights and TorchScript', async () => {
  const model = createModel({ architecture: 'mlp', numClasses: 4, inFeatures: 16, hiddenSize: 8 });
  await expect(loadWeights(model, fifo)).rejects.toEqual(ioError('is not a regular file'));
  await expect(loadTorchScript(fifo, { trustCode: true })).rejects.toEqual(ioError('is not a regular file'));
  await expect(loadWeights(model, work)).rejects.toEqual(ioError('is not a regular file'));
}, SECONDS);

test('split files and index files', async () => {
  const train = quadrantsDataset();
  await expect(loadSplit(fifo, train)).rejects.toEqual(ioError('not a regular file (it is a FIFO)'));
  await expect(loadSplit(work, train)).rejects.toEqual(ioError('not a regular file (it is a directory)'));
  expect(() => makeSplit(train, { type: 'indices', file: fifo })).toThrow(ioError('not a regular file (it is a FIFO)'));
}, SECONDS);

test('results files and --config files', async () => {
  await expect(readResults(fifo)).rejects.toEqual(ioError('not a regular file (it is a FIFO)'));
  expect(() => readConfig(fifo)).toThrow(expect.objectContaining({ code: ErrorCode.Usage, message: expect.stringContaining('not a regular file (it is a FIFO)') }));
}, SECONDS);
