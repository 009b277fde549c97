// Runs inside each function's Deno process (`deno run --preload`) before the function's own module, which
// stays the main module (so `import.meta.main` is true, as in the edge runtime). Like the edge runtime's
// user workers it takes over `Deno.serve`: whatever port or socket the function asks for, the server binds
// a free port on 127.0.0.1 and tells the stack which one. Not type-checked by Deno (run with --no-check).
export {};

type Handler = (req: Request, info: unknown) => Response | Promise<Response>;
interface ServeOptions {
  handler?: Handler;
  port?: number;
  hostname?: string;
  path?: string;
  cert?: string;
  key?: string;
  onListen?: (addr: { port: number; hostname: string }) => void;
  onError?: (error: unknown) => Response | Promise<Response>;
  [option: string]: unknown;
}
/** The few Deno APIs this file uses (declared here because the stack's tsconfig has Node's types only). */
declare const Deno: {
  serve(options: ServeOptions): unknown;
  env: { get(name: string): string | undefined; delete(name: string): void };
  ppid: number;
  exit(code?: number): never;
  addSignalListener(signal: "SIGINT" | "SIGHUP", handler: () => void): void;
  unrefTimer(id: number): void;
};

const token = Deno.env.get("PARLEY_WORKER_TOKEN") ?? "";
// The stack's pid, passed in: the parent may already be gone by the time this runs.
const parent = Number(Deno.env.get("PARLEY_WORKER_PARENT") ?? Deno.ppid);
// Variables Deno itself needed (HOME, PATH, DENO_DIR, …) are removed so the function sees only its own
// environment, as the edge runtime removes HOME, HOSTNAME, PATH and PWD.
for (const name of [
  ...(Deno.env.get("PARLEY_WORKER_HIDE") ?? "").split(","),
  "PARLEY_WORKER_HIDE",
  "PARLEY_WORKER_TOKEN",
  "PARLEY_WORKER_PARENT",
]) {
  if (name) Deno.env.delete(name);
}

/** The edge runtime's answer when a function throws instead of returning a Response. */
const workerError = (): Response =>
  new Response(
    JSON.stringify({ code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" }),
    {
      status: 500,
      headers: { "Content-Type": "application/json" },
    },
  );

const originalServe = Deno.serve.bind(Deno);
let announced = false;
(Deno as { serve: unknown }).serve = (first: ServeOptions | Handler, second?: Handler | ServeOptions): unknown => {
  const options: ServeOptions =
    typeof first === "function" ? (typeof second === "object" ? { ...second } : {}) : { ...first };
  const handler = typeof first === "function" ? first : typeof second === "function" ? second : first.handler;
  if (!handler) throw new TypeError("Deno.serve needs a handler");
  delete options.path;
  delete options.cert;
  delete options.key;
  const userOnListen = options.onListen;
  return originalServe({
    ...options,
    handler,
    port: 0,
    hostname: "127.0.0.1",
    onError:
      options.onError ??
      ((error: unknown) => {
        console.error(error);
        return workerError();
      }),
    onListen: (addr) => {
      if (!announced) {
        announced = true;
        // The stack reads this line from stdout to learn the port; it never reaches the logs.
        console.log(`parley-worker:${token}:listening:${addr.port}`);
      }
      userOnListen?.call(undefined, addr);
    },
  });
};

// `EdgeRuntime.waitUntil(promise)` keeps background work alive after the response; a long-lived process does anyway.
(globalThis as { EdgeRuntime?: unknown }).EdgeRuntime ??= {
  waitUntil(promise: Promise<unknown>) {
    promise.catch((e) => console.error(e));
  },
};

// Ctrl-C and a closed terminal reach the whole process group: the stack stops this process itself, in
// order (SIGTERM), so these are ignored here. (Signal listeners do not keep the process alive.)
Deno.addSignalListener("SIGINT", () => undefined);
Deno.addSignalListener("SIGHUP", () => undefined);

// Exit when the stack that started this process is gone (killed without a chance to stop its children).
const watch = setInterval(() => {
  if (Deno.ppid !== parent) Deno.exit(0);
}, 1000) as unknown as number;
Deno.unrefTimer(watch);
