// Placeholder until the rest service lands: answers 501 so a caller sees what is missing.
import type { Service, ServiceContext } from "../types.ts";

export function createRestService(_ctx: ServiceContext): Service {
  return {
    async fetch() {
      return new Response(JSON.stringify({ message: "rest is not implemented in the local stack yet" }), {
        status: 501,
        headers: { "content-type": "application/json" },
      });
    },
  };
}
