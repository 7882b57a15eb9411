/**
 * Every error camu raises is a TypeError or RangeError (bad arguments), or a CamuError with a
 * stable `code`. Aborted operations reject with an AbortError (code 'ABORT_ERR').
 */

/** Stable error codes. Argument errors use Node's own codes. */
export const ErrorCode = {
  InvalidArgType: 'ERR_INVALID_ARG_TYPE',
  InvalidArgValue: 'ERR_INVALID_ARG_VALUE',
  OutOfRange: 'ERR_OUT_OF_RANGE',
  Aborted: 'ABORT_ERR',
  Torch: 'ERR_CAMU_TORCH',
  Xgboost: 'ERR_CAMU_XGBOOST',
  Io: 'ERR_CAMU_IO',
  Format: 'ERR_CAMU_FORMAT',
  OutOfMemory: 'ERR_CAMU_OUT_OF_MEMORY',
  Unsupported: 'ERR_CAMU_UNSUPPORTED',
  State: 'ERR_CAMU_STATE',
  Internal: 'ERR_CAMU_INTERNAL',
  /** An unlearning run stopped by its retained-accuracy guard (options.retainFloor). */
  RetainFloor: 'ERR_CAMU_RETAIN_FLOOR',
  /** A training or unlearning step's loss became NaN or infinite (the weights diverged). */
  NonFinite: 'ERR_CAMU_NON_FINITE',
  /** TorchScript (which runs code stored in the file) loaded without `trustCode: true`. */
  UntrustedCode: 'ERR_CAMU_UNTRUSTED_CODE',
  /** A call into a user's TorchScript module outlived `forwardTimeout`; the job was given up. */
  Stuck: 'ERR_CAMU_STUCK',
  /** Distributed work failed: the rendezvous, a collective (a peer rank exited or outlived the timeout), or ranks that disagree. */
  Distributed: 'ERR_CAMU_DISTRIBUTED',
  NativeLoad: 'ERR_CAMU_NATIVE_LOAD',
  /** The `camu` command line was used wrongly (a bad or missing flag); exit status 2. */
  Usage: 'ERR_CAMU_USAGE',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CamuError extends Error {
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CamuError';
    this.code = code;
  }
}

export class AbortError extends CamuError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super(message, ErrorCode.Aborted, options);
    this.name = 'AbortError';
  }
}

/** How the native addon builds its errors (registered by lib/native.ts). */
export function makeNativeError(message: string, code: string): Error {
  return code === ErrorCode.Aborted ? new AbortError(message) : new CamuError(message, code);
}
