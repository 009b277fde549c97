// The `phx_join` pipeline (spec §3.3–3.5): parse the client's config, check token and policies, build the channel.
import { DatabaseUnavailableError, MissingPartitionError, readPermissions, type Extension } from "./authorize.ts";
import { Channel, type ChannelSocket } from "./channel.ts";
import type { Core } from "./core.ts";
import { bindingId, type Binding } from "./filters.ts";
import { replayMessages, ReplayError } from "./replay.ts";
import type { Broadcast, Message } from "./serializer.ts";
import { verifyToken } from "./token.ts";

export type JoinResult =
  | {
      ok: true;
      channel: Channel;
      response: { postgres_changes: Array<Record<string, unknown>> };
      replayed: Extract<Broadcast, { kind: "user" }>[];
      replicationReady: boolean;
      pgSubscribed: boolean;
    }
  | { ok: false; reason: string };

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
/** Booleans may also arrive as the strings "true"/"false" in any case. */
const bool = (v: unknown): boolean => v === true || (typeof v === "string" && v.toLowerCase() === "true");

function toBinding(raw: Record<string, unknown>): Binding {
  const event =
    typeof raw.event === "string" && ["INSERT", "UPDATE", "DELETE"].includes(raw.event.toUpperCase())
      ? raw.event.toUpperCase()
      : "*";
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  let schema = str(raw.schema);
  const table = str(raw.table);
  if (schema === undefined && table !== undefined) schema = "public";
  return {
    id: bindingId(raw),
    event,
    schema: schema ?? "",
    table: table ?? "*",
    filter: str(raw.filter),
    select: Array.isArray(raw.select) ? raw.select.filter((c): c is string => typeof c === "string") : undefined,
    raw,
  };
}

/** Runs a join for `socket`; `channelCount` is how many other channels the socket holds. */
export async function join(
  core: Core,
  socket: ChannelSocket & { connectToken: string },
  m: Message,
  channelCount: number,
): Promise<JoinResult> {
  const subTopic = m.topic.slice("realtime:".length);
  if (subTopic === "") return { ok: false, reason: "TopicNameRequired: You must provide a topic name" };
  if (channelCount >= core.options.maxChannelsPerClient)
    return { ok: false, reason: "ChannelRateLimitReached: Too many channels" };

  const payload = obj(m.payload);
  const config = obj(payload.config);
  const broadcast = obj(config.broadcast);
  const presence = obj(config.presence);
  const isPrivate = bool(config.private);
  const given = typeof payload.access_token === "string" ? payload.access_token : payload.user_token;
  const token = typeof given === "string" && !given.startsWith("sb_") ? given : socket.connectToken;

  const verified = await verifyToken(token, core.config);
  if (!verified.ok) return { ok: false, reason: `${verified.code}: ${verified.message}` };

  const presenceKeyRaw = presence.key;
  const presenceKey =
    typeof presenceKeyRaw === "string" && presenceKeyRaw !== ""
      ? presenceKeyRaw
      : presenceKeyRaw === undefined || presenceKeyRaw === "" || presenceKeyRaw === null
        ? crypto.randomUUID()
        : JSON.stringify(presenceKeyRaw);
  const presenceEnabled = bool(presence.enabled);

  let read: Record<Extension, boolean | undefined> = { broadcast: true, presence: presenceEnabled ? true : undefined };
  if (isPrivate) {
    try {
      read = await readPermissions(
        core.db,
        { caller: verified.caller, topic: subTopic, headers: socket.headers, log: core.log },
        presenceEnabled ? ["broadcast", "presence"] : ["broadcast"],
      );
    } catch (e) {
      if (e instanceof MissingPartitionError)
        return { ok: false, reason: "MissingPartition: Realtime was unable to find the expected messages partition" };
      if (e instanceof DatabaseUnavailableError)
        return {
          ok: false,
          reason: "UnableToConnectToProject: Realtime was unable to connect to the project database",
        };
      throw e;
    }
    if (!read.broadcast && !read.presence)
      return {
        ok: false,
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
      };
  }

  let replayed: Extract<Broadcast, { kind: "user" }>[] = [];
  if (broadcast.replay !== undefined) {
    if (!isPrivate) return { ok: false, reason: "UnableToReplayMessages: Replay is not allowed for public channels" };
    if (!read.broadcast)
      return {
        ok: false,
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
      };
    try {
      replayed = await replayMessages(core.db, subTopic, broadcast.replay);
    } catch (e) {
      if (e instanceof ReplayError) return { ok: false, reason: `UnableToReplayMessages: ${e.message}` };
      throw e;
    }
  }

  const rawBindings = (Array.isArray(config.postgres_changes) ? config.postgres_changes : []).filter(
    (b): b is Record<string, unknown> => typeof b === "object" && b !== null && !Array.isArray(b),
  );
  const bindings = rawBindings.map(toBinding);
  const channel = new Channel(core, socket, {
    topic: m.topic,
    subTopic,
    joinRef: m.ref ?? m.join_ref ?? "",
    isPrivate,
    self: bool(broadcast.self),
    ack: bool(broadcast.ack),
    presenceKey,
    presenceEnabled,
    caller: verified.caller,
    bindings,
    read,
  });
  // Newer servers: `postgres_changes_options: {wait: true, timeout}` holds the reply until the
  // subscriptions exist; a subscription error then refuses the join.
  const pgOptions = obj(config.postgres_changes_options);
  let pgSubscribed = false;
  if (bool(pgOptions.wait) && bindings.length) {
    const timeoutMs = Math.min(
      typeof pgOptions.timeout === "number" && pgOptions.timeout > 0 ? pgOptions.timeout : 15_000,
      20_000,
    );
    const outcome = await Promise.race([
      core.pgChanges.subscribe(channel, { quiet: true }),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref()),
    ]);
    if (outcome === "timeout" || !outcome.ok) {
      channel.release();
      return {
        ok: false,
        reason:
          outcome === "timeout"
            ? `PostgresChangesSubscribeTimeout: Timed out after ${timeoutMs}ms waiting for the postgres_changes subscription`
            : `RealtimeDisabledForConfiguration: ${outcome.message}`,
      };
    }
    pgSubscribed = true;
  }
  return {
    ok: true,
    pgSubscribed,
    channel,
    response: { postgres_changes: bindings.map((b) => ({ ...b.raw, id: b.id })) },
    replayed,
    replicationReady: bool(broadcast.replication_ready),
  };
}
