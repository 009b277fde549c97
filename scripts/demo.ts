// `npm run demo`: the local stack (as `npm run dev`, or the one already running on its port) plus the
// example web app (examples/web) on Vite's dev server pointed at it; prints the app's URL. Ctrl-C stops both.
import { createServer } from "vite";
import { join } from "node:path";
import { PARLEY_ROOT } from "./paths.ts";
import { loadConfig, startStack, type RunningStack } from "@parley/local-supabase";

const config = loadConfig({ workdir: PARLEY_ROOT });
const apiUrl = `http://${config.host}:${config.apiPort}`;

/** True when a gateway already answers on the API port (`npm run dev` in another terminal). */
async function stackAlreadyUp(): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/auth/v1/health`, {
      headers: { apikey: config.anonKey },
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

let stack: RunningStack | undefined;
if (await stackAlreadyUp()) console.log(`Using the stack already running at ${apiUrl}.`);
else {
  console.log("Starting the local stack…");
  stack = await startStack({ workdir: PARLEY_ROOT });
}

process.env.VITE_SUPABASE_URL = apiUrl;
process.env.VITE_SUPABASE_ANON_KEY = config.anonKey;
const vite = await createServer({
  root: join(PARLEY_ROOT, "examples", "web"),
  configFile: join(PARLEY_ROOT, "examples", "web", "vite.config.ts"),
  server: { strictPort: false },
});
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? "http://127.0.0.1:5173/";
console.log(
  `\nParley demo is running.\n\n  App:     ${url}\n  API:     ${apiUrl}\n\nOpen the app in two browser windows (one private) and sign up two people. Ctrl-C stops.\n`,
);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const l of process.listeners(signal)) process.removeListener(signal, l);
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await vite.close();
      await stack?.stop().catch((e: unknown) => console.error(e));
      process.exit(0);
    })();
  });
}
