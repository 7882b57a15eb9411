/**
 * Trained models cached on disk by a content key, so that long runs (`reproduce`, an audit's
 * reference models) resume where they stopped and share what they have trained.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './fs-atomic';
import { createModel, CreateModelOptions, loadWeights, Model, saveWeights } from './models';

/** A short hash of a JSON value: the same value, the same hash (on any machine). */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);
}

/**
 * A trained model from the cache (<kind>-<hash>.safetensors plus a .json with its training
 * time, written after the weights so a present .json means complete weights), or trained now
 * and cached.
 */
export async function cachedModel(
  cacheDir: string,
  kind: string,
  key: Record<string, unknown>,
  template: CreateModelOptions,
  make: () => Promise<{ model: Model; seconds: number }>,
  signal?: AbortSignal,
): Promise<{ model: Model; seconds: number; cached: boolean }> {
  const base = path.join(cacheDir, `${kind}-${contentHash({ kind, ...key })}`);
  const weights = `${base}.safetensors`;
  const meta = `${base}.json`;
  if (existsSync(meta) && existsSync(weights)) {
    const { seconds } = JSON.parse(await fsp.readFile(meta, 'utf8')) as { seconds: number };
    return { model: await loadWeights(createModel(template), weights, { signal }), seconds, cached: true };
  }
  const { model, seconds } = await make();
  await fsp.mkdir(cacheDir, { recursive: true });
  await saveWeights(model, weights, { metadata: { kind, key: JSON.stringify(key) }, signal });
  await writeFileAtomic(meta, `${JSON.stringify({ kind, ...key, seconds }, null, 2)}\n`);
  return { model, seconds, cached: false };
}
