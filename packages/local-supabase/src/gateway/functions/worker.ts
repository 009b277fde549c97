// One long-lived Deno process per function: started on demand, restarted on the next request after a
// crash, stopped with the stack. The process runs the function's entry module as its main module.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { packageDir } from "../../paths.ts";
import type { Log } from "../types.ts";
import { workingDirOf, type FunctionSpec } from "./discover.ts";

const PRELOAD = join(dirname(fileURLToPath(import.meta.url)), "worker-preload.ts");

/** Variables of the stack's own environment Deno needs to start; hidden from the function (as the edge runtime hides HOME and PATH). */
const DENO_NEEDS = ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"];

/**
 * Variables Deno reads only when it first downloads a module: the registry, its credentials, the TLS trust
 * and the proxies. With a cold module cache that happens after the preload has run (the function's own
 * imports are fetched then), so these stay in the process environment; hidden, a first boot on a machine
 * with its own CA or proxy fails with `invalid peer certificate: UnknownIssuer`. A function can read them
 * (a private registry's DENO_AUTH_TOKENS included): they are the developer's own, on their own machine.
 */
const DENO_DOWNLOAD_NEEDS = [
  "DENO_AUTH_TOKENS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
  "SSL_CERT_FILE",
  "NODE_EXTRA_CA_CERTS",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

/** Finds the Deno binary of the `deno` npm package, from the project served or from this package's own install. */
export function denoBinary(workdir: string): string {
  const candidates = [
    process.env.PARLEY_DENO,
    join(workdir, "node_modules", ".bin", "deno"),
    // The package's postinstall puts the binary beside its package.json.
    join(packageDir("deno"), "deno"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error("Deno is not installed: run `npm install` (the `deno` npm package provides it) or set PARLEY_DENO");
}

export class BootError extends Error {}

export interface WorkerOptions {
  deno: string;
  /** The function's environment, read again at every boot (so an edited .env applies after a restart). */
  env: () => Record<string, string>;
  log: Log;
  /** How long a boot may take (module download included) before it counts as failed. */
  bootTimeoutMs?: number;
}

export class FunctionWorker {
  private child: ChildProcess | undefined;
  private port: number | undefined;
  private booting: Promise<number> | undefined;
  private stopped = false;
  /** Processes killed on purpose to load new code; their exit is not news. */
  private readonly retired = new WeakSet<ChildProcess>();

  constructor(
    readonly spec: FunctionSpec,
    private readonly opts: WorkerOptions,
  ) {}

  /** The port of a running server for this function, booting one first when none runs. */
  ready(): Promise<number> {
    if (this.stopped) return Promise.reject(new BootError("the functions runtime is stopping"));
    if (this.port !== undefined && this.child && this.child.exitCode === null) return Promise.resolve(this.port);
    this.booting ??= this.boot().finally(() => (this.booting = undefined));
    return this.booting;
  }

  private boot(): Promise<number> {
    const { spec, opts } = this;
    const token = randomBytes(8).toString("hex");
    const fromShell = (names: readonly string[]) =>
      Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]!]));
    const shell = fromShell(DENO_NEEDS);
    const functionEnv = opts.env();
    const hidden = Object.keys(shell).filter((n) => !(n in functionEnv));
    const env = {
      ...fromShell(DENO_DOWNLOAD_NEEDS),
      ...shell,
      ...functionEnv,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      PARLEY_WORKER_TOKEN: token,
      PARLEY_WORKER_PARENT: String(process.pid),
      PARLEY_WORKER_HIDE: [...hidden, "NO_COLOR", "DENO_NO_UPDATE_CHECK"].join(","),
    };
    // A deno.json is a whole config (imports, nodeModulesDir, …); anything else is a plain import map.
    const mapArgs = !spec.importMap
      ? []
      : /deno\.jsonc?$/.test(spec.importMap)
        ? ["--config", spec.importMap]
        : ["--import-map", spec.importMap];
    const args = ["run", "--allow-all", "--no-prompt", "--no-check", ...mapArgs, "--preload", PRELOAD, spec.entrypoint];
    const started = Date.now();
    const child = spawn(opts.deno, args, { cwd: workingDirOf(spec), env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.port = undefined;
    const marker = `parley-worker:${token}:listening:`;

    return new Promise<number>((resolvePromise, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
        reject(new BootError(why));
      };
      const timer = setTimeout(
        () => fail(`did not start serving within ${(opts.bootTimeoutMs ?? 60_000) / 1000} s`),
        opts.bootTimeoutMs ?? 60_000,
      );
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (line.startsWith(marker)) {
          this.port = Number(line.slice(marker.length));
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            opts.log(`${spec.name}: serving (Deno pid ${child.pid}, started in ${Date.now() - started} ms)`);
            resolvePromise(this.port);
          }
          return;
        }
        opts.log(`${spec.name}: ${line}`);
      });
      createInterface({ input: child.stderr! }).on("line", (line) => opts.log(`${spec.name}: ${line}`));
      child.on("error", (e) => fail(`could not run Deno: ${e.message}`));
      child.on("exit", (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.port = undefined;
        }
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!settled) fail(`exited (${how}) before calling Deno.serve`);
        else if (!this.stopped && !this.retired.has(child))
          opts.log(`${spec.name}: Deno exited (${how}); it restarts on the next request`);
      });
    });
  }

  /** Replaces a running process with a fresh one, so changed source files take effect. Boot errors are logged. */
  async recycle(): Promise<void> {
    if (this.booting) await this.booting.catch(() => undefined);
    const child = this.child;
    if (this.stopped || !child || child.exitCode !== null) return;
    this.retired.add(child);
    this.child = undefined;
    this.port = undefined;
    child.kill("SIGTERM");
    await this.ready().catch((e: unknown) =>
      this.opts.log(`${this.spec.name}: failed to boot: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Stops the process: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the process at once (used on process exit, when nothing can be awaited). */
  killNow(): void {
    this.stopped = true;
    if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
