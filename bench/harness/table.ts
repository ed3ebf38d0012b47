// The figures of a run as rows (path, ops/s, p50 ms, p99 ms, server CPU %, ops per server CPU-s,
// ceiling, ratio), printed as a Markdown table, which is also what --write-table puts in
// bench/README.md between its markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt } from '../util.ts';

export interface Row {
  path: string;
  opsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  serverCpuPct?: number;
  opsPerCpuSec?: number;
  /** What the path is measured against, with its figure ("argon2id 31/s"). */
  ceiling?: string;
  /** The path's figure over its ceiling's (1 = at the limit). */
  ratio?: number;
}

export const COLUMNS = ['path', 'ops/s', 'p50 ms', 'p99 ms', 'server CPU %', 'ops per server CPU-s', 'ceiling', 'ratio'];

const cell = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '—' : fmt(n, digits));

export function rowCells(r: Row): string[] {
  return [r.path, cell(r.opsPerSec), cell(r.p50Ms, 2), cell(r.p99Ms, 2), cell(r.serverCpuPct, 0), cell(r.opsPerCpuSec), r.ceiling ?? '—', cell(r.ratio, r.ratio !== undefined && r.ratio < 0.1 ? 3 : 2)];
}

/** A Markdown table; `|` inside a cell is escaped so that every row keeps its eight cells. */
export function markdownTable(rows: Row[]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(COLUMNS), line(COLUMNS.map(() => '---')), ...rows.map((r) => line(rowCells(r)))].join('\n');
}

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

/** `text` with what is between the markers replaced by `block`; the markers are appended if absent. */
export function replaceBetweenMarkers(text: string, block: string): string {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return `${text.replace(/\n*$/, '\n\n')}${START}\n${block}\n${END}\n`;
  return `${text.slice(0, a + START.length)}\n${block}\n${text.slice(b)}`;
}

export function writeTable(readme: string, block: string): void {
  writeFileSync(readme, replaceBetweenMarkers(readFileSync(readme, 'utf8'), block));
}
