// A long-lived database connection that LISTENs on channels and comes back after the server restarts.
import pg from "pg";

/** Options of a ListeningConnection. */
export interface ListenOptions {
  url: string;
  /** Shown in pg_stat_activity.application_name. */
  applicationName: string;
  channels: string[];
  /** Runs after every (re)connect, once the channels are listened to. */
  onConnect: (client: pg.Client) => Promise<void> | void;
  onNotify: (channel: string, payload: string | undefined) => void;
  log: (line: string) => void;
  /** Wait before reconnecting (ms); default 1000. */
  retryMs?: number;
}

/**
 * Keeps one connection: on an error or a lost connection (a Postgres restart) it logs once, waits
 * and connects again, and `onConnect` runs again, so the owner can catch up on what it missed.
 */
export class ListeningConnection {
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private down = false;

  constructor(private readonly opts: ListenOptions) {}

  /** Connects (retrying in the background when the server is not reachable yet). */
  start(): Promise<void> {
    this.connecting = this.connect();
    return this.connecting;
  }

  /** The connection while it is up. */
  get current(): pg.Client | undefined {
    return this.client;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.opts.url, application_name: this.opts.applicationName });
    client.on("error", (e) => this.lost(client, e));
    client.on("end", () => this.lost(client, undefined));
    client.on("notification", (n) => this.opts.onNotify(n.channel, n.payload));
    try {
      await client.connect();
      for (const ch of this.opts.channels) await client.query(`listen ${client.escapeIdentifier(ch)}`);
      if (this.closed) return void (await client.end().catch(() => undefined));
      this.client = client;
      if (this.down) this.opts.log(`${this.opts.applicationName}: connected again`);
      this.down = false;
      await this.opts.onConnect(client);
    } catch (e) {
      this.lost(client, e);
    }
  }

  private lost(client: pg.Client, e: unknown): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners("end");
    client.end().catch(() => undefined);
    if (this.closed || this.retryTimer) return;
    if (!this.down)
      this.opts.log(
        `${this.opts.applicationName}: connection lost${e instanceof Error ? ` (${e.message})` : ""}; retrying`,
      );
    this.down = true;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connecting = this.connect();
    }, this.opts.retryMs ?? 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners("end");
      await c.end().catch(() => undefined);
    }
  }
}
