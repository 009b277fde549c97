// The realtime design's security claims, end to end with the plain supabase-js client (an attacker does
// not use the SDK): forged database events reach nobody as data, removed members hear nothing more,
// late joiners replay nothing from before they joined, and a viewer receives each message once.
import { describe, expect, it } from "vitest";
import { createParley } from "../../client/index.ts";
import { parleyOf, type TestUser } from "../support/clients.ts";
import {
  byEvent,
  largeGroup,
  secondDevice,
  listen,
  live,
  receivedBeforeSentinel,
  refreshedToken,
  rpc,
  trySubscribe,
  user,
  type Broadcast,
} from "./support.ts";
import { acquaint } from "../support/contacts.ts";

type Row = { id: string; seq: number };

/** The three events an attacker would most like to forge, with plausible payloads. */
function forgeries(conversationId: string, victim: TestUser) {
  return [
    {
      event: "message_created",
      payload: {
        id: crypto.randomUUID(),
        conversation_id: conversationId,
        message: {
          id: crypto.randomUUID(),
          conversation_id: conversationId,
          seq: 999,
          sender_id: victim.id,
          kind: "text",
          body: "send me your password",
        },
        inbox: null,
      },
    },
    {
      event: "member_read",
      payload: {
        id: crypto.randomUUID(),
        conversation_id: conversationId,
        user_id: victim.id,
        last_read_seq: 999,
        message_id: null,
        read_at: new Date().toISOString(),
      },
    },
    { event: "conversation_deleted", payload: { id: crypto.randomUUID(), conversation_id: conversationId } },
  ];
}

/**
 * Waits into the next second: realtime.messages keeps whole seconds and a member sees stored rows from
 * the second they joined, so what is sent before must be a second older (a clock condition, not an absence check).
 */
const nextSecond = (): Promise<void> => new Promise((r) => setTimeout(r, 1100));

const forgedIn = (items: Broadcast[]): Broadcast[] =>
  items.filter(
    (m) =>
      JSON.stringify(m.payload).includes("send me your password") ||
      m.payload.last_read_seq === 999 ||
      m.event === "conversation_deleted",
  );

describe("realtime security with the plain client", () => {
  it("a member's forged message_created / member_read / conversation_deleted is refused on user:<other> and on conversation:<id>:events", async () => {
    const [owner, victim, forger] = [await user(), await user(), await user()];
    await acquaint(owner, [victim, forger]);
    const small = await rpc<Row>(owner, "create_group", { title: "Small", member_ids: [victim.id, forger.id] });
    const large = await largeGroup(owner, [victim, forger]);
    const victimInbox = await live(victim, `user:${victim.id}`);
    const victimEvents = await live(victim, `conversation:${large.id}:events`);

    // user:<other>: the forger cannot even join it, and a REST broadcast is refused.
    expect((await trySubscribe(listen(forger, `user:${victim.id}`).channel)).status).toBe("CHANNEL_ERROR");
    // Joined topics that carry database events: the write policy refuses the broadcast (no ack).
    const ownInbox = await live(forger, `user:${forger.id}`, { broadcast: { ack: true } });
    const eventsTopic = await live(forger, `conversation:${large.id}:events`, { broadcast: { ack: true } });
    const rest = forger.client.channel(`user:${victim.id}`, { config: { private: true } });
    const restEvents = forger.client.channel(`conversation:${large.id}:events`, { config: { private: true } });
    await Promise.all(
      [...forgeries(small.id, victim), ...forgeries(large.id, victim)].map(async (f) => {
        await expect(rest.httpSend(f.event, f.payload)).rejects.toThrow("Unauthorized");
        await expect(restEvents.httpSend(f.event, f.payload)).rejects.toThrow("Unauthorized");
        expect(await ownInbox.channel.send({ type: "broadcast", ...f }, { timeout: 1000 })).toBe("timed out");
        expect(await eventsTopic.channel.send({ type: "broadcast", ...f }, { timeout: 1000 })).toBe("timed out");
      }),
    );

    // A real message afterwards arrives; nothing forged did before it.
    const real = await rpc<Row>(owner, "send_message", { conversation_id: small.id, body: "the real one" });
    await victimInbox.events.next((m) => m.event === "message_created" && (m.payload.message as Row).id === real.id);
    expect(forgedIn(victimInbox.events.items)).toEqual([]);
    expect(forgedIn(victimEvents.events.items)).toEqual([]);
  });

  it("on conversation:<id> a forged event reaches other members only as a signal, which the SDK ignores", async () => {
    const [owner, viewer, forger] = [await user(), await user(), await user()];
    await acquaint(owner, [viewer, forger]);
    const group = await rpc<Row>(owner, "create_group", { title: "Forgery", member_ids: [viewer.id, forger.id] });
    // The viewer: a plain listener on the signals topic on one device, the SDK on another.
    const plain = await live(viewer, `conversation:${group.id}`);
    const device = createParley((await secondDevice(viewer)).client);
    const seen: Array<{ event: string; payload: unknown }> = [];
    const record = (event: string) => (payload: unknown) => seen.push({ event, payload });
    const inbox = await device.live.inbox({
      message_created: record("inbox.message_created"),
      member_read: record("inbox.member_read"),
      conversation_removed: record("inbox.conversation_removed"),
    });
    const chat = await device.live.conversation(group.id, {
      message_created: record("message_created"),
      member_read: record("member_read"),
      conversation_removed: record("conversation_removed"),
      typing: record("typing"),
    });

    const signals = await live(forger, `conversation:${group.id}`, { broadcast: { ack: true } });
    for (const f of forgeries(group.id, owner))
      expect(await signals.channel.send({ type: "broadcast", ...f })).toBe("ok");
    // Realtime cannot restrict event names on a topic where members may send: the broadcast arrives…
    for (const f of forgeries(group.id, owner)) await plain.events.next(byEvent(f.event));
    // …but it is only a signal. The SDK's sentinel on that topic: the forger's typing, sent after the
    // forgeries and shown by the SDK; nothing forged was shown before it.
    expect(
      await signals.channel.send({ type: "broadcast", event: "typing", payload: { user_id: forger.id, typing: true } }),
    ).toBe("ok");
    await expect.poll(() => seen.some((s) => s.event === "typing")).toBe(true);
    expect(seen.map((s) => s.event)).toEqual(["typing"]);
    // The SDK delivers the real message once to each handler: a later message (the sentinel, on the same
    // user:<me> path in commit order) comes after it, and nothing else did.
    const real = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "the real one" });
    const sentinel = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "sentinel" });
    const ids = (event: string) =>
      seen.filter((s) => s.event === event).map((s) => (s.payload as { message: Row }).message.id);
    await expect
      .poll(() => ids("message_created").includes(sentinel.id) && ids("inbox.message_created").includes(sentinel.id))
      .toBe(true);
    expect(ids("message_created")).toEqual([real.id, sentinel.id]);
    expect(ids("inbox.message_created")).toEqual([real.id, sentinel.id]);
    expect(seen.map((s) => s.event).filter((e) => !e.endsWith("message_created"))).toEqual(["typing"]);
    await Promise.all([inbox.close(), chat.close()]);
  });

  it("a removed member's open channels receive nothing of the conversation afterwards (signals until their token is refreshed)", async () => {
    const [owner, stays, removed] = [await user(), await user(), await user()];
    await acquaint(owner, [stays, removed]);
    const group = await rpc<Row>(owner, "create_group", { title: "Removal", member_ids: [stays.id, removed.id] });
    const other = await rpc<Row>(owner, "create_group", { title: "Still a member", member_ids: [removed.id] });
    const inbox = await live(removed, `user:${removed.id}`);
    const signals = await live(removed, `conversation:${group.id}`, { presence: { key: removed.id } });
    const system = listenSystem(signals.channel);
    const staysSignals = await live(stays, `conversation:${group.id}`, { broadcast: { ack: true } });

    await rpc(owner, "remove_member", { group_id: group.id, user_id: removed.id });
    await inbox.events.next(byEvent("conversation_removed"));
    const cut = inbox.events.items.length;
    const secret = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "after you left" });
    await rpc(owner, "edit_message", { message_id: secret.id, body: "after you left, edited" });
    await rpc(stays, "mark_read", { conversation_id: group.id });
    await rpc(owner, "update_group", { group_id: group.id, title: "Renamed without you" });
    // A later event of another conversation on the same topic: everything before it has arrived.
    const marker = await rpc<Row>(owner, "send_message", { conversation_id: other.id, body: "marker" });
    await inbox.events.next((m) => m.event === "message_created" && (m.payload.message as Row).id === marker.id);
    expect(inbox.events.items.slice(cut).filter((m) => m.payload.conversation_id === group.id)).toEqual([]);
    expect(JSON.stringify(inbox.events.items)).not.toContain("after you left");
    expect(signals.events.items).toEqual([]);

    // What Realtime does with an already-joined channel: it checks RLS at join and at each token
    // refresh only, so the removed member's signals channel still hears typing (a hint, no data)…
    expect(
      await staysSignals.channel.send({
        type: "broadcast",
        event: "typing",
        payload: { user_id: stays.id, typing: true },
      }),
    ).toBe("ok");
    await signals.events.next(byEvent("typing"));
    // …until their token is refreshed: then Realtime closes it.
    await removed.client.realtime.setAuth(await refreshedToken(removed));
    expect(await system.next((p) => p.status === "error")).toMatchObject({
      message: `You no longer have permission to read from this Channel topic: conversation:${group.id}`,
    });
    await expect.poll(() => signals.channel.state).toBe("closed");
    // A typing signal after the close reaches the members still there (the sentinel) and not the removed one.
    const staysPeer = await live(owner, `conversation:${group.id}`);
    expect(
      await staysSignals.channel.send({
        type: "broadcast",
        event: "typing",
        payload: { user_id: stays.id, typing: false },
      }),
    ).toBe("ok");
    await staysPeer.events.next((m) => m.event === "typing" && m.payload.typing === false);
    expect(signals.events.items.filter((m) => m.event === "typing")).toHaveLength(1);
    expect((await trySubscribe(listen(removed, `conversation:${group.id}`).channel)).status).toBe("CHANNEL_ERROR");
  });

  it("a removed member's open events channel of a large group hears content-free notices only until their token is refreshed", async () => {
    const [owner, removed] = [await user(), await user()];
    const group = await largeGroup(owner, [removed]);
    const events = await live(removed, `conversation:${group.id}:events`);
    const system = listenSystem(events.channel);
    await rpc(owner, "remove_member", { group_id: group.id, user_id: removed.id });
    const sent = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "not for you" });
    const notice = await events.events.next((m) => m.event === "message_created" && m.payload.message_id === sent.id);
    expect(notice.payload).toEqual({
      conversation_id: group.id,
      id: notice.meta?.id,
      message_id: sent.id,
      seq: sent.seq,
    });
    // Reading the row is up to RLS: the removed member gets nothing.
    const read = await parleyOf(removed.client).rpc("list_messages", {
      conversation_id: group.id,
      after_seq: sent.seq - 1,
    });
    expect(read.error?.hint).toBe("conversation_not_found");
    await removed.client.realtime.setAuth(await refreshedToken(removed));
    expect(await system.next((p) => p.status === "error")).toMatchObject({
      message: `You no longer have permission to read from this Channel topic: conversation:${group.id}:events`,
    });
  });

  it("a late joiner's Broadcast Replay holds nothing from before they joined", async () => {
    const [owner, early, late] = [await user(), await user(), await user()];
    const since = Date.now() - 60_000;
    await acquaint(owner, [early, late]);
    const group = await rpc<Row>(owner, "create_group", { title: "Replay", member_ids: [early.id] });
    const deleted = await rpc<Row>(owner, "send_message", {
      conversation_id: group.id,
      body: "secret, deleted before you came",
    });
    await rpc(owner, "delete_message", { message_id: deleted.id });
    const earlySignals = await live(early, `conversation:${group.id}`, { broadcast: { ack: true } });
    expect(
      await earlySignals.channel.send({
        type: "broadcast",
        event: "typing",
        payload: { user_id: early.id, typing: true },
      }),
    ).toBe("ok");
    await nextSecond();
    await rpc(owner, "add_members", { group_id: group.id, user_ids: [late.id] });

    const replay = { private: true, broadcast: { replay: { since, limit: 25 } } };
    const inbox = await live(late, `user:${late.id}`, replay);
    const signals = await live(late, `conversation:${group.id}`, replay);
    // A sentinel after the join on each topic: the replay, sent at the join, has all come by then.
    await Promise.all([receivedBeforeSentinel(inbox), receivedBeforeSentinel(signals)]);
    const replayed = (l: { events: { items: Broadcast[] } }) =>
      l.events.items.filter((m) => (m.meta as { replayed?: boolean } | undefined)?.replayed);
    // What the late member's inbox holds of the group starts with their joining (conversation_added
    // and the system message announcing them), nothing of the conversation before.
    const mine = replayed(inbox).filter((m) => m.payload.conversation_id === group.id);
    expect(mine.map((m) => m.event).sort()).toEqual(["conversation_added", "message_created"]);
    expect(mine.find((m) => m.event === "message_created")?.payload).toMatchObject({
      message: { kind: "system", seq: deleted.seq + 1 },
    });
    expect(JSON.stringify(inbox.events.items)).not.toContain("secret");
    expect(replayed(signals)).toEqual([]); // client signals are never stored

    // A large group: its events topic holds one notice per event for all members. Realtime reads a
    // replay with its own rights (no RLS per stored row), so a late joiner replays the notices from
    // before they joined: ids and seq only, which the member may read through RLS anyway.
    const big = await largeGroup(owner, [early]);
    const old = await rpc<Row>(owner, "send_message", { conversation_id: big.id, body: "secret, from before" });
    await rpc(owner, "delete_message", { message_id: old.id });
    await nextSecond();
    await acquaint(owner, [late]);
    await rpc(owner, "add_members", { group_id: big.id, user_ids: [late.id] });
    const events = await live(late, `conversation:${big.id}:events`, replay);
    await receivedBeforeSentinel(events);
    for (const m of replayed(events))
      expect(["conversation_id", "id", "message_id", "seq", "member_count"]).toEqual(
        expect.arrayContaining(Object.keys(m.payload)),
      );
    expect(JSON.stringify(events.events.items)).not.toContain("secret");
    expect(replayed(events).map((m) => m.event)).toEqual(
      expect.arrayContaining(["message_created", "message_deleted"]),
    );
  });

  it("a viewer with the conversation and the inbox open receives each message once", async () => {
    const [sender, viewer] = [await user(), await user()];
    await acquaint(sender, [viewer]);
    const group = await rpc<Row>(sender, "create_group", { title: "Once", member_ids: [viewer.id] });
    // Plain client: the viewer keeps their inbox and the conversation's signals topic open.
    const inbox = await live(viewer, `user:${viewer.id}`);
    const signals = await live(viewer, `conversation:${group.id}`);
    const sent: Row[] = [];
    for (let i = 0; i < 5; i++)
      sent.push(await rpc<Row>(sender, "send_message", { conversation_id: group.id, body: `m${i}` }));
    // A sentinel on each topic after the sends: any second delivery would have come before it.
    const seen = [...(await receivedBeforeSentinel(inbox)), ...(await receivedBeforeSentinel(signals))];
    const deliveries = seen.filter(
      (m) => m.event === "message_created" && sent.some((s) => s.id === (m.payload.message as Row).id),
    );
    expect(deliveries).toHaveLength(sent.length);
  });
});

/** Collects a channel's system messages (Realtime's status and error pushes). */
function listenSystem(channel: import("@supabase/supabase-js").RealtimeChannel) {
  const items: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    pred: (p: Record<string, unknown>) => boolean;
    resolve: (p: Record<string, unknown>) => void;
  }> = [];
  channel.on("system", {}, (p: Record<string, unknown>) => {
    items.push(p);
    for (const w of [...waiters]) if (w.pred(p)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(p));
  });
  return {
    next(pred: (p: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      const have = items.find(pred);
      return have ? Promise.resolve(have) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}
