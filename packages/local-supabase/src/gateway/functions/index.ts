// /functions/v1: the edge runtime as the Supabase CLI runs it — the first path segment names the function,
// `verify_jwt` is checked here, and the request goes unchanged to that function's own Deno process.
import { relative } from "node:path";
import { Routes } from "../router.ts";
import type { Service, ServiceContext } from "../types.ts";
import { discoverFunctions, type FunctionSpec } from "./discover.ts";
import { functionEnv } from "./env.ts";
import { forward, WorkerUnreachableError } from "./proxy.ts";
import { refuseUnverified } from "./verify.ts";
import { watchRoots, watchSources } from "./watch.ts";
import { denoBinary, FunctionWorker } from "./worker.ts";

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

// The edge runtime's answers (CLI main worker, templates/main.ts).
const notFound = (): Response =>
  new Response("Function not found", { status: 404, headers: { "Content-Type": "text/plain" } });
const bootError = (): Response =>
  json(503, { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" });
const workerError = (): Response =>
  json(500, { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" });

export interface FunctionsService extends Service {
  /** The functions the runtime serves right now, by name. */
  functions(): Map<string, FunctionSpec>;
}

export function createFunctionsService(ctx: ServiceContext): FunctionsService {
  const { config, log } = ctx;
  const gatewayUrl = `http://${config.host}:${config.apiPort}`;
  let specs = discoverFunctions(config);
  const workers = new Map<string, FunctionWorker>();
  let deno: string | undefined;
  let closing = false;

  /** Finds a function, looking at the folders again for one added since the stack started. */
  const lookup = (name: string): FunctionSpec | undefined => {
    const known = specs.get(name);
    if (known) return known;
    specs = discoverFunctions(config);
    return specs.get(name);
  };

  const workerFor = (spec: FunctionSpec): FunctionWorker => {
    let worker = workers.get(spec.name);
    if (!worker || worker.spec.entrypoint !== spec.entrypoint) {
      void worker?.stop();
      deno ??= denoBinary(config.workdir);
      worker = new FunctionWorker(spec, { deno, env: () => functionEnv(config, gatewayUrl, process.env, log), log });
      workers.set(spec.name, worker);
    }
    return worker;
  };

  // The Deno processes ignore Ctrl-C (the stack stops them in order); this kills them when the process
  // exits without stop().
  const killAll = () => {
    for (const w of workers.values()) w.killNow();
  };
  process.once("exit", killAll);

  if (specs.size) log(`serving ${[...specs.keys()].join(", ")} at ${gatewayUrl}/functions/v1/<name>`);
  // Boot every function now, in the background, so the first request does not wait for Deno.
  if (process.env.PARLEY_FUNCTIONS_LAZY !== "1") {
    setImmediate(() => {
      if (closing) return;
      for (const spec of specs.values()) {
        Promise.resolve()
          .then(() => workerFor(spec).ready())
          .catch(
            (e: unknown) =>
              closing || log(`${spec.name}: failed to boot: ${e instanceof Error ? e.message : String(e)}`),
          );
      }
    });
  }

  // Edited source takes effect without a restart. `npm run dev` turns this on (PARLEY_FUNCTIONS_WATCH=1);
  // test and bench stacks keep the code they started with.
  const roots = process.env.PARLEY_FUNCTIONS_WATCH === "1" ? watchRoots(config.workdir, specs.values()) : [];
  const unwatch = watchSources(roots, (files) => {
    const running = [...workers.values()];
    if (closing || !running.length) return;
    const shown =
      files
        .slice(0, 3)
        .map((f) => relative(config.workdir, f))
        .join(", ") + (files.length > 3 ? ", …" : "");
    log(`source changed (${shown}): reloading ${running.map((w) => w.spec.name).join(", ")}`);
    specs = discoverFunctions(config);
    for (const w of running) void w.recycle();
  });

  // The main worker's routes: its health check, then `/<name>` and everything under it, for any method.
  const routes = new Routes<"health" | "function">()
    .on("*", "/_internal/health", "health")
    .on("*", "/:name/?", "function")
    .on("*", "/:name/*", "function");

  return {
    functions: () => specs,

    async fetch(req: Request, path: string): Promise<Response> {
      const hit = routes.match(req.method, path);
      if (!hit) return notFound();
      if (hit.handler === "health") return json(200, { message: "ok" });
      const spec = lookup(hit.params.name!);
      if (!spec) return notFound();
      if (spec.verifyJwt) {
        const refusal = await refuseUnverified(req, config);
        if (refusal) {
          log(`${req.method} ${path} 401 (verify_jwt)`);
          return refusal;
        }
      }
      const started = Date.now();
      if (closing) return bootError(); // no new process once the stack is stopping
      let port: number;
      try {
        port = await workerFor(spec).ready();
      } catch (e) {
        log(`${spec.name}: failed to boot: ${e instanceof Error ? e.message : String(e)}`);
        return bootError();
      }
      try {
        const res = await forward(req, port, path + new URL(req.url).search);
        log(`${req.method} ${path} ${res.status} ${Date.now() - started} ms`);
        return res;
      } catch (e) {
        if (!(e instanceof WorkerUnreachableError)) throw e;
        log(`${req.method} ${path}: the worker dropped the request (${e.message})`);
        return workerError();
      }
    },

    async close() {
      closing = true;
      unwatch();
      process.off("exit", killAll);
      await Promise.all([...workers.values()].map((w) => w.stop()));
    },
  };
}
