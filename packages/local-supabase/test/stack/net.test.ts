// pg_net in the local stack, through SQL as a user drives it: requests queued by net.http_get / post
// / delete leave only after their transaction commits, reach the server with their body and headers,
// and their responses (or timeouts and errors) land in net._http_response.
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPool, recordingServer, uniqueName, until, type Received } from "./background-support.ts";

const pool = newPool();
let server: Awaited<ReturnType<typeof recordingServer>>;

beforeAll(async () => {
  server = await recordingServer((req, res) => {
    if (req.url.startsWith("/slow")) return; // never answers: the request times out
    res.writeHead(201, { "Content-Type": "application/json", "X-Answered-By": "recorder" });
    res.end(JSON.stringify({ got: req.method }));
  });
});

afterAll(async () => {
  await server.close();
  await pool.end();
});

interface Response {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}
const responseOf = (id: string) =>
  until(
    `the response to request ${id}`,
    async () => (await pool.query<Response>(`select * from net._http_response where id = $1`, [id])).rows[0],
  );
const arrived = (tag: string) => (r: Received) => r.url.includes(`tag=${tag}`);
const requestId = async (c: pg.Pool | pg.PoolClient, sql: string, values: unknown[] = []) =>
  (await c.query<{ id: string }>(sql, values)).rows[0]!.id;

describe.concurrent("pg_net (stand-in)", () => {
  it("sends net.http_post after commit with its JSON body, params and headers, and records the response", async () => {
    const tag = uniqueName("post");
    const id = await requestId(
      pool,
      `select net.http_post(url := $1, body := '{"hello": "world", "n": 1}', params := $2, headers := '{"X-Custom": "yes"}') as id`,
      [`${server.url}/hook`, JSON.stringify({ tag, q: "a b&c" })],
    );
    const got = await server.next(arrived(tag));
    expect(got.method).toBe("POST");
    // Parameters in jsonb's key order (shorter keys first), each URL-encoded as curl does.
    expect(got.url).toBe(`/hook?q=a%20b%26c&tag=${tag}`);
    expect(JSON.parse(got.body)).toEqual({ hello: "world", n: 1 });
    expect(got.headers).toMatchObject({
      "content-type": "application/json",
      "x-custom": "yes",
      "user-agent": "pg_net/0.20.4",
    });
    const res = await responseOf(id);
    expect(res).toMatchObject({
      status_code: 201,
      content_type: "application/json",
      content: '{"got":"POST"}',
      timed_out: false,
      error_msg: null,
    });
    expect(res.headers).toMatchObject({ "Content-Type": "application/json", "X-Answered-By": "recorder" });
    // The queue row is gone once sent.
    expect((await pool.query(`select 1 from net.http_request_queue where id = $1`, [id])).rowCount).toBe(0);
  });

  it("sends nothing until the transaction commits, and nothing at all when it rolls back", async () => {
    const [held, dropped, sentinel] = [uniqueName("held"), uniqueName("dropped"), uniqueName("sentinel")];
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query("begin");
      await a.query(`select net.http_get($1, params := $2)`, [`${server.url}/get`, JSON.stringify({ tag: held })]);
      await b.query("begin");
      await b.query(`select net.http_get($1, params := $2)`, [`${server.url}/get`, JSON.stringify({ tag: dropped })]);
      await b.query("rollback");
      // A request committed after both was sent: the open and the rolled-back ones were not.
      await pool.query(`select net.http_get($1, params := $2)`, [
        `${server.url}/get`,
        JSON.stringify({ tag: sentinel }),
      ]);
      await server.next(arrived(sentinel));
      expect(server.received.filter((r) => arrived(held)(r) || arrived(dropped)(r))).toEqual([]);
      await a.query("commit");
      expect((await server.next(arrived(held))).method).toBe("GET");
      // And after the committed one, still nothing from the rolled-back transaction.
      const after = uniqueName("sentinel");
      await pool.query(`select net.http_get($1, params := $2)`, [`${server.url}/get`, JSON.stringify({ tag: after })]);
      await server.next(arrived(after));
      expect(server.received.filter(arrived(dropped))).toEqual([]);
    } finally {
      a.release();
      b.release();
    }
  });

  it("records a timeout with pg_net's message, and a refused connection as curl words it", async () => {
    const slow = await requestId(pool, `select net.http_get($1, timeout_milliseconds := 300) as id`, [
      `${server.url}/slow`,
    ]);
    const res = await responseOf(slow);
    expect(res).toMatchObject({ status_code: null, timed_out: true, content: null });
    expect(res.error_msg).toMatch(
      /^Timeout of 300 ms reached\. Total time: \d+\.\d{6} ms \(DNS time: [\d.]+ ms, TCP\/SSL handshake time: [\d.]+ ms, HTTP Request\/Response time: [\d.]+ ms\)$/,
    );

    // A port nobody listens on: bind one, then close it.
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const refused = await requestId(pool, `select net.http_delete($1) as id`, [`http://127.0.0.1:${closedPort}/x`]);
    expect(await responseOf(refused)).toMatchObject({
      status_code: null,
      timed_out: false,
      error_msg: "Couldn't connect to server",
    });
  });

  it("sends net.http_delete with its optional body", async () => {
    const tag = uniqueName("delete");
    const id = await requestId(
      pool,
      `select net.http_delete($1, params := $2, headers := '{"Content-Type": "application/json"}', body := '{"gone": true}') as id`,
      [`${server.url}/things/1`, JSON.stringify({ tag })],
    );
    const got = await server.next(arrived(tag));
    expect(got).toMatchObject({ method: "DELETE", url: `/things/1?tag=${tag}`, body: '{"gone": true}' });
    expect((await responseOf(id)).status_code).toBe(201);
  });

  it("refuses what pg_net refuses when the request is queued", async () => {
    await expect(
      pool.query(`select net.http_post('http://localhost/x', headers := '{"Content-Type": "text/plain"}')`),
    ).rejects.toThrow('Content-Type header must be "application/json"');
    await expect(pool.query(`select net.http_get('localhost/x')`)).rejects.toThrow('invalid URL "localhost/x"');
  });

  it("deletes responses older than pg_net.ttl (6 hours) when it next works", async () => {
    const old = (
      await pool.query<{ id: string }>(
        `insert into net._http_response (id, status_code, created) values (-1 * (random() * 1e9)::bigint, 200, now() - interval '7 hours') returning id`,
      )
    ).rows[0]!.id;
    const recent = (
      await pool.query<{ id: string }>(
        `insert into net._http_response (id, status_code, created) values (-1 * (random() * 1e9)::bigint, 200, now() - interval '5 hours') returning id`,
      )
    ).rows[0]!.id;
    const tag = uniqueName("ttl");
    await pool.query(`select net.http_get($1, params := $2)`, [`${server.url}/get`, JSON.stringify({ tag })]);
    await server.next(arrived(tag));
    await until(
      "the expired response to be deleted",
      async () => (await pool.query(`select 1 from net._http_response where id = $1`, [old])).rowCount === 0,
    );
    expect((await pool.query(`select 1 from net._http_response where id = $1`, [recent])).rowCount).toBe(1);
    await pool.query(`delete from net._http_response where id = $1`, [recent]);
  });

  it("shows its worker as pg_net's, for net.check_worker_is_up()", async () => {
    await expect(pool.query(`select net.check_worker_is_up()`)).resolves.toBeDefined();
  });
});
