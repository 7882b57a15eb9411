/** Named-tensor files: safetensors, the format of model weights and of packed datasets. */
import { binding, RawTensor } from './native';

export interface SafetensorsContents {
  /** In the order of their data in the file. */
  tensors: Record<string, RawTensor>;
  /** The header's __metadata__ strings. */
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file, validating the header size, offsets (inside the file, no overlaps,
 * no unreferenced bytes), dtypes and shapes; errors name the file and the tensor.
 */
export function readSafetensorsSync(path: string): SafetensorsContents {
  return binding.readSafetensorsSync(path);
}

/** Writes tensors (and optional metadata strings) as safetensors, atomically (temp file + rename). */
export function writeSafetensorsSync(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): void {
  binding.writeSafetensorsSync(path, tensors, metadata);
}
