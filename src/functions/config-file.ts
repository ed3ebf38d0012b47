import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYaml } from '../declarative/yaml.ts';

/** One entry of the config file's `functions` object. */
export type FunctionMapping =
  /** A local handler: `path/to/file.mjs#export` (.mjs, .js, .ts or .py), relative to the config file. */
  | { kind: 'handler'; file: string; handler: string }
  /** Lambda's Invoke API at this endpoint (a base URL, or the full `.../functions/<name>/invocations` URL). */
  | { kind: 'invoke-url'; endpoint: string; functionName?: string };

/**
 * The `functions` object of Tobira's config file (`--config tobira.json`): function name or ARN
 * -> `{"handler": "path#export"}` or `{"invokeUrl": "..."}`. Looked at on every resolution and
 * read again when the file has changed, so a mapping edited while the server runs applies to the
 * next call. A file that stops parsing keeps the last good mapping (and says so in the log).
 */
export class FunctionsConfigFile {
  private mappings = new Map<string, FunctionMapping>();
  private version = '';

  constructor(
    readonly file: string,
    private readonly warn: (msg: string) => void,
  ) {
    this.version = this.stamp() ?? '';
    this.mappings = parseFunctions(readConfig(file), dirname(file), file); // errors at start-up are the operator's to fix
  }

  lookup(key: string): FunctionMapping | undefined {
    this.refresh();
    return this.mappings.get(key);
  }

  private refresh(): void {
    const now = this.stamp();
    if (now === undefined || now === this.version) return;
    this.version = now;
    try {
      this.mappings = parseFunctions(readConfig(this.file), dirname(this.file), this.file);
    } catch (err) {
      this.warn(`${(err as Error).message}; keeping the functions mapping read before`);
    }
  }

  private stamp(): string | undefined {
    try {
      const s = statSync(this.file);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      return undefined;
    }
  }
}

function readConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    // A .yaml / .yml config file is read with the declarative config's strict YAML subset.
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`the config file ${file} is not ${/\.ya?ml$/i.test(file) ? 'YAML Tobira reads' : 'JSON'}: ${(err as Error).message}`);
  }
}

/** Validates the `functions` object of a parsed config file; relative handler paths are relative to `baseDir`. */
export function parseFunctions(config: unknown, baseDir: string, where = 'the config file'): Map<string, FunctionMapping> {
  const out = new Map<string, FunctionMapping>();
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error(`${where}: expected a JSON object`);
  const functions = (config as Record<string, unknown>).functions;
  if (functions === undefined) return out;
  if (typeof functions !== 'object' || functions === null || Array.isArray(functions)) throw new Error(`${where}: "functions" must be an object of name or ARN -> {"handler"} or {"invokeUrl"}`);
  for (const [key, raw] of Object.entries(functions)) {
    const entry = raw as Record<string, unknown>;
    const bad = (why: string) => new Error(`${where}: functions["${key}"] ${why}`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad('must be {"handler": "path#export"} or {"invokeUrl": "URL"}');
    if ((entry.handler === undefined) === (entry.invokeUrl === undefined)) throw bad('needs exactly one of "handler" or "invokeUrl"');
    if (entry.handler !== undefined) {
      if (typeof entry.handler !== 'string' || entry.handler === '') throw bad('"handler" must be "path#export"');
      const hash = entry.handler.lastIndexOf('#');
      const path = hash > 0 ? entry.handler.slice(0, hash) : entry.handler;
      const handler = hash > 0 ? entry.handler.slice(hash + 1) : 'handler';
      if (!/^[A-Za-z_$][\w$]*$/.test(handler)) throw bad(`names an invalid export "${handler}"`);
      if (!/\.(mjs|cjs|js|mts|ts|py)$/.test(path)) throw bad(`"${path}" is not a .mjs, .js, .ts or .py file`);
      out.set(key, { kind: 'handler', file: isAbsolute(path) ? path : resolve(baseDir, path), handler });
    } else {
      if (typeof entry.invokeUrl !== 'string') throw bad('"invokeUrl" must be a URL');
      out.set(key, invokeUrlMapping(entry.invokeUrl, bad));
    }
  }
  return out;
}

function invokeUrlMapping(invokeUrl: string, bad: (why: string) => Error): FunctionMapping {
  let url: URL;
  try {
    url = new URL(invokeUrl);
  } catch {
    throw bad(`"invokeUrl" is not a URL: ${invokeUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('"invokeUrl" must be http:// or https://');
  // The whole route given: the endpoint is what comes before it, the function is the one it names.
  const route = /^(.*)\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/.exec(url.pathname);
  if (route) return { kind: 'invoke-url', endpoint: `${url.origin}${route[1]}`, functionName: decodeURIComponent(route[2]) };
  return { kind: 'invoke-url', endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}
