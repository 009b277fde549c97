// Broadcast payloads nested thousands of levels deep (issue 23): Realtime decodes and re-encodes them with
// Jason, which has no depth limit, so the REST endpoints answer 202 and subscribers get the payload whole —
// never a 500 from JSON.stringify in the stack's serializer.
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { client, Inbox, joined, topic } from "./support.ts";

type Msg = { type: string; event: string; payload: unknown };

/** Nesting of arrays, counted without recursion (the received value is deeper than JSON.stringify goes). */
function arrayDepth(v: unknown): number {
  let depth = 0;
  let cur = v;
  while (Array.isArray(cur)) {
    depth++;
    cur = cur[0];
  }
  return depth;
}

const DEPTH = 5000;
const nested = "[".repeat(DEPTH) + "]".repeat(DEPTH);

async function listener(name: string, vsn: "1.0.0" | "2.0.0") {
  const c = await client({ vsn });
  const inbox = new Inbox<Msg>();
  const ch = c.channel(name);
  ch.on("broadcast", { event: "*" }, (m) => inbox.push(m as Msg));
  await joined(ch);
  return inbox;
}

describe("realtime REST broadcast of a deeply nested payload", () => {
  it("the batch endpoint answers 202 and v1 and v2 subscribers receive the payload whole", async () => {
    const name = topic();
    const [v1, v2] = await Promise.all([listener(name, "1.0.0"), listener(name, "2.0.0")]);
    const res = await fetch(`${stackEnv.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: stackEnv.anonKey, "content-type": "application/json" },
      body: `{"messages":[{"topic":${JSON.stringify(name)},"event":"deep","payload":{"d":${nested}}}]}`,
    });
    expect(res.status).toBe(202);
    for (const inbox of [v1, v2]) {
      const m = await inbox.next((x) => x.event === "deep");
      expect(arrayDepth((m.payload as { d: unknown }).d)).toBe(DEPTH);
    }
  });

  it("the single-message endpoint (httpSend) answers 202 and the subscriber receives it whole", async () => {
    const name = topic();
    const v2 = await listener(name, "2.0.0");
    const res = await fetch(`${stackEnv.url}/realtime/v1/api/broadcast/${encodeURIComponent(name)}/events/deep`, {
      method: "POST",
      headers: {
        apikey: stackEnv.anonKey,
        authorization: `Bearer ${stackEnv.anonKey}`,
        "content-type": "application/json",
      },
      body: `{"d":${nested}}`,
    });
    expect(res.status).toBe(202);
    const m = await v2.next((x) => x.event === "deep");
    expect(arrayDepth((m.payload as { d: unknown }).d)).toBe(DEPTH);
  });
});
