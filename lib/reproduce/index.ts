/** The reporting layer of `camu reproduce`: results file, tables, plots, progress, and the run itself. */
export * from './schema';
export * from './validate';
export * from './runs';
export * from './store';
export * from './stats';
export * from './checks';
export * from './table';
export * from './plots';
export * from './page';
export * from './report';
export * from './progress';
export * from './run';
// The metric catalogue, whose keys the results file, its tables and its plots use.
export * from '../metrics/catalogue';
