// Live updates over Supabase Realtime private channels: the inbox (user:<id>), an open conversation
// (events, typing, who is online) and a call room. Every channel is authorised by RLS on realtime.messages.
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { ParleyClient, ParleyRest } from "./client.ts";
import { ParleyError, unwrap } from "./errors.ts";
import type { CallRoomEvents, ConversationEvents, Handlers, InboxEvents, TypingEvent } from "./events.ts";
import { verifiedDelivery } from "./verified-events.ts";

/** Minimum gap between two `typing: true` broadcasts of one client (Realtime rate-limits clients). */
export const TYPING_THROTTLE_MS = 3000;

export interface LiveChannel {
  channel: RealtimeChannel;
  /** Leaves the channel. */
  close(): Promise<void>;
}

export interface ConversationChannel extends LiveChannel {
  /** Tells the others I am typing (throttled) or stopped. */
  typing(isTyping?: boolean): Promise<void>;
  /** User ids currently present on the conversation (online with it open). */
  online(): string[];
}

export interface ConversationHandlers extends Handlers<ConversationEvents> {
  typing?: (event: TypingEvent) => void;
  /** Called with the present user ids whenever presence changes. */
  presence?: (userIds: string[]) => void;
}

/** How a received payload reaches its handler: directly, or through a check first. */
type Route = (event: string, payload: unknown, handler: (p: unknown) => void) => void;
const direct: Route = (_event, payload, handler) => handler(payload);

/** Registers one broadcast listener per handler; payloads are the events' documented shapes. */
function listen<E extends object>(channel: RealtimeChannel, handlers: Handlers<E>, route: Route = direct): void {
  for (const [event, handler] of Object.entries(handlers) as Array<[string, ((p: unknown) => void) | undefined]>) {
    if (typeof handler !== "function") continue;
    channel.on("broadcast", { event }, (message: { payload?: unknown }) => route(event, message.payload, handler));
  }
}

/** Subscribes and resolves once joined; a refused join (not a member, signed out) rejects with `channel_refused`. */
function join(channel: RealtimeChannel, onJoined?: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    channel.subscribe((status, err) => {
      if (settled) return;
      if (status === "SUBSCRIBED") {
        settled = true;
        (onJoined ? onJoined() : Promise.resolve()).then(resolve, reject);
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
        settled = true;
        reject(new ParleyError("channel_refused", `Could not join ${channel.topic}: ${err?.message ?? status}`, undefined));
      }
    });
  });
}

export function liveApi(supabase: ParleyClient, db: ParleyRest, currentUserId: () => Promise<string>) {
  const open = async <T extends LiveChannel>(channel: RealtimeChannel, extra: Omit<T, keyof LiveChannel>, onJoined?: () => Promise<void>): Promise<T> => {
    try {
      await join(channel, onJoined);
    } catch (e) {
      await supabase.removeChannel(channel);
      throw e;
    }
    return { channel, close: async () => void (await supabase.removeChannel(channel)), ...extra } as T;
  };

  return {
    /** The channels to keep open for a live inbox: `user:<me>` and every group above the fan-out bound. */
    async topics(): Promise<string[]> {
      return unwrap(await db.rpc("list_realtime_topics")) as string[];
    },

    /** My inbox: activity in every conversation, added/removed, membership changes, call events. */
    async inbox(handlers: Handlers<InboxEvents>): Promise<LiveChannel> {
      const me = await currentUserId();
      const channel = supabase.channel(`user:${me}`, { config: { private: true } });
      listen(channel, handlers);
      return open<LiveChannel>(channel, {});
    },

    /**
     * An open conversation: its events, typing, and presence (I am tracked as online while it is open).
     * Database events are delivered only once the database bears them out, with its values (a member's
     * forged broadcast is dropped); typing is a client broadcast and stays an untrusted hint.
     */
    async conversation(conversationId: string, handlers: ConversationHandlers = {}): Promise<ConversationChannel> {
      const me = await currentUserId();
      const { typing, presence, ...events } = handlers;
      const channel = supabase.channel(`conversation:${conversationId}`, { config: { private: true, presence: { key: me } } });
      // Database events here are checked against the database first: members can broadcast on this topic.
      const deliver = verifiedDelivery(db, conversationId);
      listen(channel, events, (event, payload, handler) => deliver(event as keyof ConversationEvents, payload, handler));
      if (typing) channel.on("broadcast", { event: "typing" }, (m: { payload?: unknown }) => typing(m.payload as TypingEvent));
      const online = () => Object.keys(channel.presenceState());
      if (presence) channel.on("presence", { event: "sync" }, () => presence(online()));
      let lastTyping = 0;
      return open<ConversationChannel>(
        channel,
        {
          online,
          async typing(isTyping = true) {
            const now = Date.now();
            if (isTyping && now - lastTyping < TYPING_THROTTLE_MS) return;
            lastTyping = isTyping ? now : 0;
            await channel.send({ type: "broadcast", event: "typing", payload: { user_id: me, typing: isTyping } });
          },
        },
        async () => {
          await channel.track({ user_id: me, online_at: new Date().toISOString() });
        },
      );
    },

    /** A call room: participants joining and leaving, the end; my presence while I am in it. */
    async call(callId: string, handlers: Handlers<CallRoomEvents> = {}): Promise<LiveChannel> {
      const me = await currentUserId();
      const channel = supabase.channel(`call:${callId}`, { config: { private: true, presence: { key: me } } });
      listen(channel, handlers);
      return open<LiveChannel>(channel, {}, async () => {
        await channel.track({ user_id: me, online_at: new Date().toISOString() });
      });
    },
  };
}

export type LiveApi = ReturnType<typeof liveApi>;
