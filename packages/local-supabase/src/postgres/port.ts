// Port probing: a port in use is a clear error before anything starts, never a hang.
import { createServer } from "node:net";

/** Resolves true when nothing listens on host:port. */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.once("error", () => resolvePromise(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolvePromise(true)));
  });
}

/** Asks the OS for a free port on 127.0.0.1 (for tests that run beside `npm run dev`). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ port: 0, host: "127.0.0.1" }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

export class PortInUseError extends Error {
  readonly code = "port_in_use";
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(
      `${what} cannot start: port ${port} on 127.0.0.1 is already in use. Stop whatever holds it (is another \`npm run dev\` running?) or choose another port.`,
    );
  }
}
