/**
 * A V8 code cache for the CommonJS modules a process loads, one file per process role (the CLI,
 * the program, the pack). A process starts by compiling 300 to 1,600 modules (`@pulumi/pulumi`
 * with its automation API, the provider SDKs, zod, the pack): with the cache, later starts load
 * V8's bytecode instead (bench/README.md has what it buys, which is modest).
 *
 * Node >= 22.1 has this built in (`module.enableCompileCache`), used there. Node 20 has not: the
 * hook below compiles each `.js` module as Node's loader does, through `vm.Script` with the cached
 * bytecode. Entries are keyed by file name and SHA-1 of the source: V8 checks only the source's
 * length, and npm gives every installed file the same mtime, so neither tells an upgraded file
 * from the old one. The entries' bytes carry a SHA-1 too (Node 20's V8 does not verify code cache
 * checksums). A missing, corrupt or rejected entry is compiled as usual and saved later,
 * atomically (temporary file, rename); a cache that cannot be read or written costs a compile.
 * `ZIPNET_COMPILE_CACHE=off` turns it off.
 *
 * What a cached module sees that Node's own compile would not show: error columns on its first
 * line shifted by the wrapper `(function (exports, require, ...) {`. Where Node does more than
 * compile (`--enable-source-maps`, policy manifests), the cache is not installed.
 *
 * Self-contained (Node built-ins only): the pack, the program and the CLI each install it before
 * loading anything else.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

/** Node's CommonJS loader internals the hook stands in for (lib/internal/modules/cjs/loader.js). */
interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string, format?: string): unknown;
}
interface CjsLoader {
  prototype: CjsModule;
  wrap(source: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: CjsModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  enableCompileCache?: (dir: string) => unknown;
}
const loader = Module as unknown as CjsLoader;

/** The cache file: a uint32 header length, the header (JSON), then the entries' bytes. */
interface Header {
  /** V8 version and architecture: a cache from another Node is not read. */
  runtime: string;
  /** SHA-1 of the entries' bytes (everything after the header). */
  digest: string;
  /** File name -> [source SHA-1, offset, length]. */
  entries: Record<string, [string, number, number]>;
}

/** A cache past this size starts over (files deleted or upgraded leave entries behind). */
const MAX_BYTES = 128 * 1024 * 1024;
const RUNTIME = `${process.versions.v8}-${process.arch}`;
/**
 * The text of a dynamic import(): such a module is compiled by Node, uncached. A `vm.Script`
 * without `importModuleDynamically` throws at import() (zertosh/v8-compile-cache#30), and one with
 * it loses it when compiled from cached data (nodejs/node#43663; seen here on Node 20.20 with
 * USE_MAIN_CONTEXT_DEFAULT_LOADER: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). The text test also
 * leaves out modules that only mention import( (typescript.js, in its messages), and cannot see an
 * import( assembled at run time from pieces (eval("imp" + "ort(...)")), which would throw.
 */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
/** Node options under which Node's compile does more than compile. */
const NODE_OWN_COMPILE = /--enable-source-maps|--experimental-policy|--policy-integrity/;

interface Fresh {
  hash: string;
  script: vm.Script;
}

interface CacheState {
  file: string;
  header: Header;
  blob: Buffer;
  fresh: Map<string, Fresh>;
  /** finishCompileCache was called: modules compile as Node compiles them. */
  finished: boolean;
}
/** This process's cache: one install per process. */
let state: CacheState | undefined;

function emptyHeader(): Header {
  return { runtime: RUNTIME, digest: "", entries: {} };
}

/** `<nearest node_modules>/.cache/zipnet-infra/compile`, or undefined when there is none. */
function defaultCacheDir(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const nm = path.join(dir, "node_modules");
    if (fs.existsSync(nm)) return path.join(nm, ".cache", "zipnet-infra", "compile");
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readCache(file: string): { header: Header; blob: Buffer } {
  const empty = { header: emptyHeader(), blob: Buffer.alloc(0) };
  try {
    const data = fs.readFileSync(file);
    const length = data.readUInt32LE(0);
    const header = JSON.parse(data.subarray(4, 4 + length).toString("utf8")) as Header;
    if (header.runtime !== RUNTIME || typeof header.entries !== "object" || header.entries === null) return empty;
    const blob = data.subarray(4 + length);
    if (sha1(blob) !== header.digest) return empty;
    return { header, blob };
  } catch {
    return empty;
  }
}

function sha1(data: string | Buffer): string {
  return crypto.createHash("sha1").update(data).digest("base64");
}

/** The `require` Node gives a module (internal makeRequireFunction, without policy redirects). */
function makeRequire(mod: CjsModule): NodeJS.Require {
  const require = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) => loader._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => loader._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = loader._extensions as NodeJS.Require["extensions"];
  require.cache = loader._cache as NodeJS.Require["cache"];
  return require;
}

/**
 * Installs the cache for this process under `role` (a file name). Saved at exit, or by
 * `finishCompileCache` once the process has loaded what it needs (a process ended by a signal
 * has no exit event).
 */
export function installCompileCache(role: string, dir = defaultCacheDir()): void {
  if (process.env.ZIPNET_COMPILE_CACHE === "off" || !dir || state) return;
  if (typeof loader.enableCompileCache === "function") {
    loader.enableCompileCache(dir);
    return;
  }
  if (NODE_OWN_COMPILE.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)) return;
  const file = path.join(dir, `${role}.v8cache`);
  const { header, blob } = readCache(file);
  const current: CacheState = (state = { file, header, blob, fresh: new Map<string, Fresh>(), finished: false });
  const original = loader.prototype._compile;
  loader.prototype._compile = function (this: CjsModule, content: string, filename: string, format?: string) {
    // As Node does: once finished, ESM, anything not plain JavaScript (ts-node's .ts), and what may call import().
    if (current.finished || format === "module" || !(filename.endsWith(".js") || filename.endsWith(".cjs")) || DYNAMIC_IMPORT.test(content)) {
      return original.call(this, content, filename, format);
    }
    const hash = sha1(content);
    const entry = current.header.entries[filename];
    const cachedData = entry && entry[0] === hash ? current.blob.subarray(entry[1], entry[1] + entry[2]) : undefined;
    // A shebang is valid only at the very start of a script: the wrapper moves it (lines kept).
    const source = content.startsWith("#!") ? `//${content}` : content;
    let script: vm.Script;
    try {
      script = new vm.Script(loader.wrap(source), { filename, cachedData });
    } catch {
      // What the hook cannot compile (ESM syntax in a .js file Node would detect as a module), Node does.
      return original.call(this, content, filename, format);
    }
    if (!cachedData || script.cachedDataRejected) current.fresh.set(filename, { hash, script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };
  process.once("exit", saveCompileCache);
}

/**
 * Saves what was compiled and hands module loading back to Node, releasing the cache's bytes: for
 * a process whose loading is over (the program once it has built the instance, the pack once
 * constructed), so that the cache takes no memory while it works.
 */
export function finishCompileCache(): void {
  // Node's own cache writes at exit; a process ended by a signal has none (Node >= 22.10).
  (Module as unknown as { flushCompileCache?: () => void }).flushCompileCache?.();
  if (!state || state.finished) return;
  saveCompileCache();
  state.finished = true;
  state.blob = Buffer.alloc(0);
  state.header = emptyHeader();
}

/** Writes the entries compiled since the last save (their bytecode as of now: lazily compiled functions included). */
function saveCompileCache(): void {
  if (!state || state.fresh.size === 0) return;
  const { file, header, blob, fresh } = state;
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    // Where nothing can be written, nothing is serialized.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    const chunks: Buffer[] = [];
    const entries: Header["entries"] = {};
    let offset = 0;
    const add = (name: string, hash: string, data: Buffer) => {
      entries[name] = [hash, offset, data.length];
      chunks.push(data);
      offset += data.length;
    };
    for (const [name, f] of fresh) add(name, f.hash, f.script.createCachedData());
    // Entries of modules this run did not load (other commands, other stacks) are kept, up to the cap.
    for (const [name, [hash, at, length]] of Object.entries(header.entries)) {
      if (!fresh.has(name) && offset + length <= MAX_BYTES) add(name, hash, blob.subarray(at, at + length));
    }
    const data = Buffer.concat(chunks);
    const saved: Header = { runtime: RUNTIME, digest: sha1(data), entries };
    const head = Buffer.from(JSON.stringify(saved), "utf8");
    const size = Buffer.alloc(4);
    size.writeUInt32LE(head.length, 0);
    fs.writeFileSync(tmp, Buffer.concat([size, head, data]));
    fs.renameSync(tmp, file);
    state.header = saved;
    state.blob = data;
  } catch {
    // A read-only or full disk: the next start compiles again; no temporary file is left.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // Nothing was written there either.
    }
  } finally {
    state.fresh = new Map();
  }
}
