/**
 * A command's result on stdout: JSON for programs (with --json, or whenever stdout is not a
 * terminal: a pipe, a file), aligned plain-text tables for a person at a terminal.
 */

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where a command's output goes: results on stdout, progress and errors on stderr. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
}

/**
 * A value for a table cell: numbers to 5 significant digits, null as '-', lists comma-separated,
 * a list of records as `key=value` groups ('step=38 accuracy=98.8; step=75 ...').
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)));
  if (Array.isArray(value)) {
    const records = value.some((item) => item !== null && typeof item === 'object');
    return value.map((item) => (records ? formatRecord(item) : formatValue(item))).join(records ? '; ' : ', ');
  }
  if (typeof value === 'object') return formatRecord(value);
  return String(value);
}

function formatRecord(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return formatValue(value);
  return Object.entries(value).map(([key, item]) => `${key}=${formatValue(item)}`).join(' ');
}

/** An object's entries as [key, value] rows, nested objects under dotted keys ('settings.klLr'). */
export function flattenRows(value: object, prefix = ''): string[][] {
  return Object.entries(value).flatMap(([key, item]) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) ? flattenRows(item, `${prefix}${key}.`) : [[`${prefix}${key}`, formatValue(item)]],
  );
}

/** Rows as columns aligned two spaces apart, without trailing spaces. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** `value` as JSON when `json` is set or stdout is not a terminal, else as `table` renders it. */
export function printResult<T extends object>(stream: OutputStream, value: T, json: boolean, table: (value: T) => string = (v) => renderTable(flattenRows(v))): void {
  stream.write(json || !stream.isTTY ? `${JSON.stringify(value, null, 2)}\n` : `${table(value)}\n`);
}
