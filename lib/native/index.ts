/**
 * The only modules that touch the native addon: loader.ts loads it and explains load failures,
 * types.ts types the raw binding.
 */
export * from './loader';
export type * from './types';
